package dev.dockbridge.bridge.tunnel;

import java.util.ArrayDeque;

/**
 * Byte arrays for a session's full-size forward data packets, taken back once the session wrote them. A bulk upload
 * made a new zeroed 32 KiB array per packet: at several Gbit/s that was the daemon's largest allocation, and with a small
 * heap a young collection every few milliseconds (a profile of an upload: `memset` and the collector's root scanning
 * about 6 % of the daemon's time). Thread-safe: a docker socket channel's packets are made on its writer's thread and
 * written on the loop.
 */
final class PacketArrays {
    /** Room an SSH packet needs around its payload: header, padding, the AEAD tag or MAC, sshd-core's own slack. */
    private static final int PACKET_OVERHEAD = 256;

    private final int arrayLength;
    private final int keep;
    private final ArrayDeque<byte[]> free;

    /** Arrays for packets of up to {@code payload} bytes of channel data; at most {@code keep} kept while unused. */
    PacketArrays(int payload, int keep) {
        this.arrayLength = payload + PACKET_OVERHEAD;
        this.keep = keep;
        this.free = new ArrayDeque<>(keep);
    }

    synchronized byte[] take() {
        byte[] a = free.pollLast();
        return a != null ? a : new byte[arrayLength];
    }

    /** An array from {@link #take} that nothing reads or writes any more. */
    synchronized void giveBack(byte[] array) {
        if (array.length == arrayLength && free.size() < keep) {
            free.addLast(array);
        }
    }

    synchronized int kept() {
        return free.size();
    }
}

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
    /** SSH_MSG_CHANNEL_DATA's fields before the bytes: recipient channel and length. */
    static final int DATA_HEADER = 8;
    /** Pieces from this size on go into a reused array (bulk data); smaller ones into a new one the size they need. */
    static final int REUSED_FROM = 8 * 1024;
    /** Room an SSH packet needs around its payload: header, padding, the AEAD tag or MAC, sshd-core's own slack. */
    private static final int PACKET_OVERHEAD = 256;

    private final int arrayLength;
    private final int keep;
    private final ArrayDeque<byte[]> free;

    /** Arrays for a channel's data packets of up to {@code maxPacket} bytes (the peer's maximum packet size). */
    static PacketArrays forDataPackets(long maxPacket, int keep) {
        return new PacketArrays((int) Math.min(Integer.MAX_VALUE - PACKET_OVERHEAD - DATA_HEADER, maxPacket) + DATA_HEADER, keep);
    }

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

package dev.dockbridge.bridge.mounts;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What to do so that both sides of a folder agree on some paths, from what each side has now and what both had when
 * they last agreed (the base). A side that still has the base's entry did not change; the other side's change wins.
 * When both changed, this machine's side wins, and the server's file is kept as a conflict copy first; a path deleted
 * here but changed on the server comes back (a deletion never destroys a change).
 */
public record SyncPlan(List<String> push, List<String> fetch, List<String> deleteRemote, List<String> deleteLocal, List<String> conflicts) {

    /** Deepest first, so that a directory's children go before it. */
    private static final Comparator<String> DEEPEST_FIRST = Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder());

    public static SyncPlan of(Collection<String> paths, Map<String, MountEntry> local, Map<String, MountEntry> remote, Map<String, MountEntry> base) {
        List<String> push = new ArrayList<>();
        List<String> fetch = new ArrayList<>();
        List<String> deleteRemote = new ArrayList<>();
        List<String> deleteLocal = new ArrayList<>();
        List<String> conflicts = new ArrayList<>();
        for (String p : paths) {
            MountEntry l = local.get(p);
            MountEntry r = remote.get(p);
            MountEntry b = base.get(p);
            if (MountEntry.same(l, r)) {
                continue;
            }
            boolean localChanged = b == null ? l != null : !MountEntry.same(l, b);
            boolean remoteChanged = b == null ? r != null : !MountEntry.same(r, b);
            if (!localChanged && remoteChanged) {
                (r == null ? deleteLocal : fetch).add(p);
            } else if (localChanged && !remoteChanged) {
                (l == null ? deleteRemote : push).add(p);
            } else if (l == null) {
                fetch.add(p); // deleted here, changed there: the change comes back
            } else {
                if (r != null && r.type() == 'f' && l.type() != 'd') {
                    conflicts.add(p);
                }
                if (r != null && r.type() != l.type()) {
                    deleteRemote.add(p); // a file where a directory was (or so): the old one goes first
                }
                push.add(p);
            }
        }
        push.sort(Comparator.naturalOrder()); // parents before children
        fetch.sort(Comparator.naturalOrder());
        deleteRemote.sort(DEEPEST_FIRST);
        deleteLocal.sort(DEEPEST_FIRST);
        return new SyncPlan(push, fetch, deleteRemote, deleteLocal, conflicts);
    }

    public boolean empty() {
        return push.isEmpty() && fetch.isEmpty() && deleteRemote.isEmpty() && deleteLocal.isEmpty();
    }
}

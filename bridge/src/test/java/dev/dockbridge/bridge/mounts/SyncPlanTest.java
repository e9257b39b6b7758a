package dev.dockbridge.bridge.mounts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Who wins when: the side that changed since both last agreed; when both did, this machine, with nothing lost. */
class SyncPlanTest {
    private static final MountEntry V1 = new MountEntry('f', 0644, 3, 1_000_000, "");
    private static final MountEntry V2 = new MountEntry('f', 0644, 4, 2_000_000, "");
    private static final MountEntry V3 = new MountEntry('f', 0644, 5, 3_000_000, "");

    private final Map<String, MountEntry> local = new HashMap<>();
    private final Map<String, MountEntry> remote = new HashMap<>();
    private final Map<String, MountEntry> base = new HashMap<>();

    private SyncPlan plan() {
        return SyncPlan.of(List.of("a"), local, remote, base);
    }

    @Test
    void aChangeOnOneSideGoesToTheOther() {
        base.put("a", V1);
        local.put("a", V2);
        remote.put("a", V1);
        assertThat(plan().push()).containsExactly("a");
        local.put("a", V1);
        remote.put("a", V2);
        assertThat(plan().fetch()).containsExactly("a");
        assertThat(plan().conflicts()).isEmpty();
    }

    @Test
    void aDeletionOnOneSideDeletesOnTheOther() {
        base.put("a", V1);
        remote.put("a", V1);
        assertThat(plan().deleteRemote()).containsExactly("a");
        remote.clear();
        local.put("a", V1);
        assertThat(plan().deleteLocal()).containsExactly("a");
    }

    @Test
    void bothChangedKeepsThisMachinesAndTheServersAsAConflictCopy() {
        base.put("a", V1);
        local.put("a", V2);
        remote.put("a", V3);
        SyncPlan p = plan();
        assertThat(p.push()).containsExactly("a");
        assertThat(p.conflicts()).containsExactly("a");
    }

    @Test
    void deletedHereButChangedThereComesBack() {
        base.put("a", V1);
        remote.put("a", V2);
        SyncPlan p = plan();
        assertThat(p.fetch()).containsExactly("a");
        assertThat(p.deleteRemote()).isEmpty();
    }

    @Test
    void withoutABaseNothingIsDeletedAndDifferingFilesAreKeptBoth() {
        remote.put("a", V2); // a new server's copy is empty; an old copy the daemon does not know
        assertThat(plan().fetch()).containsExactly("a");
        remote.clear();
        local.put("a", V1);
        assertThat(plan().push()).containsExactly("a");
        assertThat(plan().deleteLocal()).isEmpty();
        remote.put("a", V2);
        assertThat(plan().push()).containsExactly("a");
        assertThat(plan().conflicts()).containsExactly("a");
    }

    @Test
    void sameOnBothSidesIsNothingToDo() {
        local.put("a", V2);
        remote.put("a", V2);
        assertThat(plan().empty()).isTrue();
        MountEntry dirHere = new MountEntry('d', 0755, 0, 5, "");
        MountEntry dirThere = new MountEntry('d', 0755, 0, 9, "");
        local.put("a", dirHere);
        remote.put("a", dirThere);
        assertThat(plan().empty()).as("a directory's time moves with its children").isTrue();
    }

    @Test
    void listingLinesParse() {
        MountEntry.Listed f = MountEntry.parse("f 644 12 1767261600.1234567890 sub/a b.txt\t");
        assertThat(f.path()).isEqualTo("sub/a b.txt");
        assertThat(f.entry()).isEqualTo(new MountEntry('f', 0644, 12, 1_767_261_600_123_456L, ""));
        MountEntry.Listed l = MountEntry.parse("l 777 9 1767261600.5 link\thello.txt");
        assertThat(l.entry().link()).isEqualTo("hello.txt");
        assertThat(MountEntry.parse("s 755 0 1.0 socket\t")).isNull();
    }

    @Test
    void ignorePatternsMatchNamesAndPaths() {
        PathFilter f = PathFilter.ignoring(List.of("node_modules", "*.pyc", "build/tmp/**"));
        assertThat(f.skips("node_modules")).isTrue();
        assertThat(f.skips("web/node_modules/x/y.js")).isTrue();
        assertThat(f.skips("a/b.pyc")).isTrue();
        assertThat(f.skips("build/tmp/x/y")).isTrue();
        assertThat(f.skips("build/out/x")).isFalse();
        assertThat(f.skips("src/main.py")).isFalse();
        assertThat(f.skips("src/.~dockbridge.1a2b")).as("its own temporary files").isTrue();
        assertThat(f.onlyFile("one.conf").skips("other")).isTrue();
    }
}

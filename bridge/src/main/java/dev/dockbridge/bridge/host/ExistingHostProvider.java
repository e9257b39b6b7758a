package dev.dockbridge.bridge.host;

import java.util.List;
import java.util.function.Consumer;

import dev.dockbridge.bridge.tunnel.SshTarget;

/** {@code provider: ssh}: one machine that already runs Docker; nothing is created or deleted. */
public final class ExistingHostProvider implements HostProvider {
    private final ProvisionedHost host;

    public ExistingHostProvider(SshTarget target) {
        this.host = new ProvisionedHost(target.host(), target.host(), target, null, null, null, false, null);
    }

    @Override
    public String describe() {
        return "existing host " + host.ssh().address();
    }

    @Override
    public List<ProvisionedHost> findExisting() {
        return List.of(host);
    }

    @Override
    public ProvisionedHost create(Consumer<String> progress) {
        return host;
    }

    @Override
    public void destroy(ProvisionedHost ignored) {
        // never: DockBridge does not own this machine
    }

    @Override
    public boolean disposable() {
        return false;
    }
}

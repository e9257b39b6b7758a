package dev.dockbridge.bridge.host;

import java.math.BigDecimal;

/**
 * The volume that holds a profile's {@code /var/lib/docker} across servers, as status shows it.
 *
 * @param monthlyPrice gross, null if unknown
 * @param server       the server it is attached to, null while detached
 */
public record DataVolume(long id, String name, int sizeGb, BigDecimal monthlyPrice, String currency, Long server) {
}

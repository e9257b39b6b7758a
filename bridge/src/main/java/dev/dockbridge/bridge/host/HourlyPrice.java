package dev.dockbridge.bridge.host;

import java.math.BigDecimal;

/** What a host costs per started hour, gross (VAT included), in the provider account's currency. */
public record HourlyPrice(BigDecimal gross, String currency) {
}

package dev.dockbridge.hetzner;

import java.math.BigDecimal;

/** A gross (VAT included) hourly price of a server type in a location, in the project's currency. */
public record Price(BigDecimal hourlyGross, BigDecimal monthlyGross, String currency) {
}

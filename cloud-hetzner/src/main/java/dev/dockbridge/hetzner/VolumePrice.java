package dev.dockbridge.hetzner;

import java.math.BigDecimal;

/** The gross (VAT included) monthly price of one GB of volume, in the project's currency. */
public record VolumePrice(BigDecimal perGbMonthGross, String currency) {

    public BigDecimal monthly(int sizeGb) {
        return perGbMonthGross.multiply(BigDecimal.valueOf(sizeGb));
    }
}

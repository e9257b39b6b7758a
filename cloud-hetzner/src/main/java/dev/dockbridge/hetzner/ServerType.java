package dev.dockbridge.hetzner;

import java.util.List;

/** A server type with its architecture, per-location prices and availability. */
public record ServerType(long id, String name, String architecture, List<Price> prices, List<TypeLocation> locations) {

    public record Price(String location, Amount priceHourly, Amount priceMonthly) {
    }

    /** Amounts are decimal strings in the API. */
    public record Amount(String net, String gross) {
    }

    public record TypeLocation(String name, Boolean available) {
    }

    public ServerType {
        prices = prices == null ? List.of() : prices;
        locations = locations == null ? List.of() : locations;
    }

    /** False only when the API says the type is not orderable in that location. */
    public boolean orderableIn(String location) {
        return locations.stream().filter(l -> location.equals(l.name())).noneMatch(l -> Boolean.FALSE.equals(l.available()));
    }
}

package dev.dockbridge.e2e.hetzner;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/** The simulator's fixed catalogue: locations, server types (x86 and arm), images per architecture, prices. */
final class Catalogue {
    static final List<String> LOCATIONS = List.of("fsn1", "nbg1", "hel1");
    /** name → {id, architecture, hourly gross, monthly gross} */
    static final Map<String, Object[]> TYPES = Map.of(
            "cx23", new Object[] {114L, "x86", "0.0105", "6.5331"},
            "cx33", new Object[] {115L, "x86", "0.0162", "10.1031"},
            "cax11", new Object[] {45L, "arm", "0.0114", "7.1281"});
    /** (name, architecture) → id */
    static final Map<String, Long> IMAGES = Map.of(
            "docker-ce/x86", 40093140L, "docker-ce/arm", 40093190L,
            "ubuntu-24.04/x86", 161547269L, "ubuntu-24.04/arm", 161547270L);

    private Catalogue() {
    }

    static ObjectNode location(ObjectMapper json, String name) {
        ObjectNode l = json.createObjectNode();
        l.put("id", LOCATIONS.indexOf(name) + 1).put("name", name).put("description", name.toUpperCase() + " DC")
                .put("country", name.equals("hel1") ? "FI" : "DE").put("city", name).put("network_zone", "eu-central");
        return l;
    }

    static ObjectNode serverType(ObjectMapper json, String name) {
        Object[] t = TYPES.get(name);
        ObjectNode n = json.createObjectNode();
        n.put("id", (Long) t[0]).put("name", name).put("description", name.toUpperCase()).put("category", "cost_optimized")
                .put("cores", 2).put("memory", 4.0).put("disk", 40).put("cpu_type", "shared").put("storage_type", "local")
                .put("architecture", (String) t[1]).put("deprecated", false).putNull("deprecation");
        ArrayNode prices = n.putArray("prices");
        ArrayNode locations = n.putArray("locations");
        for (String loc : LOCATIONS) {
            ObjectNode p = prices.addObject().put("location", loc);
            p.putObject("price_hourly").put("net", net((String) t[2])).put("gross", (String) t[2]);
            p.putObject("price_monthly").put("net", net((String) t[3])).put("gross", (String) t[3]);
            p.put("included_traffic", 21990232555520L);
            p.putObject("price_per_tb_traffic").put("net", "1.0000").put("gross", "1.1900");
            locations.addObject().put("id", LOCATIONS.indexOf(loc) + 1).put("name", loc).put("available", true)
                    .put("recommended", loc.equals("fsn1")).putNull("deprecation");
        }
        return n;
    }

    static ObjectNode image(ObjectMapper json, String name, String architecture) {
        ObjectNode i = json.createObjectNode();
        i.put("id", IMAGES.get(name + "/" + architecture)).put("type", name.equals("docker-ce") ? "app" : "system")
                .put("status", "available").put("name", name).put("description", name).put("architecture", architecture)
                .put("os_flavor", "ubuntu").put("os_version", "24.04").put("rapid_deploy", true);
        i.putObject("protection").put("delete", false);
        i.putObject("labels");
        return i;
    }

    static ObjectNode pricing(ObjectMapper json) {
        ObjectNode root = json.createObjectNode();
        ObjectNode p = root.putObject("pricing");
        p.put("currency", "EUR").put("vat_rate", "19.00");
        ArrayNode types = p.putArray("server_types");
        TYPES.forEach((name, t) -> {
            ObjectNode st = types.addObject().put("id", (Long) t[0]).put("name", name);
            ArrayNode prices = st.putArray("prices");
            for (String loc : LOCATIONS) {
                ObjectNode price = prices.addObject().put("location", loc);
                price.putObject("price_hourly").put("net", net((String) t[2])).put("gross", (String) t[2]);
                price.putObject("price_monthly").put("net", net((String) t[3])).put("gross", (String) t[3]);
            }
        });
        p.putObject("volume").putObject("price_per_gb_month").put("net", "0.0440").put("gross", "0.0524");
        p.putArray("primary_ips");
        p.putArray("floating_ips");
        p.putArray("load_balancer_types");
        return root;
    }

    private static String net(String gross) {
        return String.format(Locale.ROOT, "%.4f", Double.parseDouble(gross) / 1.19);
    }
}

package dev.dockbridge.cli.doctor;

/**
 * One line of {@code dockbridge doctor}: what was checked, how it went, what was seen and, when it
 * failed, how to fix it.
 */
public record Check(String name, Outcome outcome, String detail, String fix) {

    public enum Outcome {
        OK("ok"), WARN("warn"), FAIL("FAIL"), SKIP("skip");

        private final String label;

        Outcome(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    static Check ok(String name, String detail) {
        return new Check(name, Outcome.OK, detail, null);
    }

    static Check warn(String name, String detail, String fix) {
        return new Check(name, Outcome.WARN, detail, fix);
    }

    static Check fail(String name, String detail, String fix) {
        return new Check(name, Outcome.FAIL, detail, fix);
    }

    static Check skip(String name, String detail) {
        return new Check(name, Outcome.SKIP, detail, null);
    }
}

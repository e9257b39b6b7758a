package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/** The documented schema of {@code dockbridge status --json} (docs/status.schema.json), checked on every status a test reads. */
final class StatusSchema {
    private static final JsonSchema SCHEMA = load();

    private StatusSchema() {
    }

    private static JsonSchema load() {
        try {
            JsonNode schema = new ObjectMapper().readTree(Files.readString(Path.of("../docs/status.schema.json")));
            SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema, config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the status, after asserting it is valid */
    static JsonNode valid(JsonNode status) {
        Set<ValidationMessage> errors = SCHEMA.validate(status);
        assertThat(errors).as("status --json against docs/status.schema.json:\n" + status.toPrettyString()).isEmpty();
        return status;
    }

    static Set<ValidationMessage> errors(JsonNode status) {
        return SCHEMA.validate(status);
    }
}

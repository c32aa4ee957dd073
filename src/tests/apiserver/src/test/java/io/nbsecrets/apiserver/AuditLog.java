package io.nbsecrets.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The API server's audit log (level Metadata): who did what, and the answer's code. */
final class AuditLog {
  static final Set<String> WRITES =
      Set.of("create", "update", "patch", "delete", "deletecollection");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One request. */
  record Entry(
      Instant at,
      String user,
      String verb,
      String resource,
      String subresource,
      String namespace,
      String name,
      int code,
      String uri) {
    boolean isWrite() {
      return WRITES.contains(verb);
    }

    @Override
    public String toString() {
      return at + " " + user + " " + verb + " " + uri + " -> " + code;
    }
  }

  private AuditLog() {}

  static List<Entry> read(Path file) throws IOException {
    List<Entry> entries = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode e = JSON.readTree(line);
      if (!"ResponseComplete".equals(e.path("stage").asText())) {
        continue;
      }
      JsonNode ref = e.path("objectRef");
      entries.add(
          new Entry(
              Instant.parse(e.path("requestReceivedTimestamp").asText()),
              e.path("user").path("username").asText(),
              e.path("verb").asText(),
              ref.path("resource").asText(null),
              ref.path("subresource").asText(null),
              ref.path("namespace").asText(null),
              ref.path("name").asText(null),
              e.path("responseStatus").path("code").asInt(),
              e.path("requestURI").asText()));
    }
    return entries;
  }
}

package io.nbsecrets.cli.user;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.List;

/** Columns padded to their widest cell, as kubectl prints them. */
final class Table {
  private Table() {}

  /** A timestamp to the second, for people ({@code -o json} keeps the API's own). */
  static String seconds(String instant) {
    try {
      return java.time.Instant.parse(instant)
          .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
          .toString();
    } catch (java.time.format.DateTimeParseException e) {
      return instant;
    }
  }

  /** When a session last took the secret, to the second; {@code never} when none did. */
  static String lastUsed(JsonNode secret) {
    return secret.path("lastUsedAt").isTextual()
        ? seconds(secret.path("lastUsedAt").asText())
        : "never";
  }

  static void print(PrintWriter out, List<String[]> rows) {
    int columns = rows.get(0).length;
    int[] width = new int[columns];
    for (String[] row : rows) {
      for (int c = 0; c < columns; c++) {
        width[c] = Math.max(width[c], row[c].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < columns; c++) {
        line.append(row[c]);
        if (c < columns - 1) {
          line.append(" ".repeat(width[c] - row[c].length() + 3));
        }
      }
      out.println(line);
    }
    out.flush();
  }
}

package io.nbsecrets.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FlatJsonTest {
  @Test
  void readsScalarFieldsAndSkipsNestedValuesAndNulls() throws IOException {
    Map<String, String> fields =
        FlatJson.object(
            "{\"user\":\"alice\",\"exp\":1764590000,\"ok\":true,\"gone\":null,"
                + "\"nested\":{\"key\":\"not-this\"},\"list\":[1,{\"key\":\"nor-this\"}],"
                + "\"key\":\"k\\u00e9y\"}");

    assertThat(fields)
        .containsOnly(
            Map.entry("user", "alice"),
            Map.entry("exp", "1764590000"),
            Map.entry("ok", "true"),
            Map.entry("key", "kéy"));
  }

  @Test
  void readsNumberFieldsAloneWhenAsked() throws IOException {
    assertThat(
            FlatJson.numbers(
                "{\"exp\":1764590000,\"iat\":-1.5e3,\"sub\":\"1700\",\"ok\":true,"
                    + "\"none\":null,\"nested\":{\"exp\":1}}"))
        .containsOnly(Map.entry("exp", "1764590000"), Map.entry("iat", "-1.5e3"));
    assertThatThrownBy(() -> FlatJson.numbers("[1]")).isInstanceOf(IOException.class);
  }

  @Test
  void readsAnArrayOfObjects() throws IOException {
    assertThat(
            FlatJson.arrayOfObjects(
                "[{\"name\":\"A\",\"file\":\"a\",\"version\":3},{\"name\":\"B\",\"env\":\"B\"}]"))
        .containsExactly(
            Map.of("name", "A", "file", "a", "version", "3"), Map.of("name", "B", "env", "B"));
    assertThat(FlatJson.arrayOfObjects("[]")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "{not json", "[]", "\"text\"", "null", "{\"a\":1} {\"b\":2}", "{\"a\":1"})
  void anythingButOneObjectIsRefused(String json) {
    assertThatThrownBy(() -> FlatJson.object(json)).isInstanceOf(IOException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"{}", "[1]", "[{\"a\":1},2]", "[{}] []", "[{}", "null"})
  void anythingButOneArrayOfObjectsIsRefused(String json) {
    assertThatThrownBy(() -> FlatJson.arrayOfObjects(json)).isInstanceOf(IOException.class);
  }

  @Test
  void refusesWhatRfc8259Refuses() {
    for (String json :
        new String[] {
          "{\"a\":01}",
          "{\"a\":-}",
          "{\"a\":1.}",
          "{\"a\":.5}",
          "{\"a\":+1}",
          "{\"a\":1e}",
          "{\"a\":tru}",
          "{\"a\":nul}",
          "{a:1}",
          "{'a':1}",
          "{\"a\":1,}",
          "{\"a\" 1}",
          "{\"a\":\"\\x\"}",
          "{\"a\":\"\\u12G4\"}",
          "{\"a\":\"\u0001\"}",
          "{\"a\":\"open}",
          "{\"a\":1 .5}",
          "{\"a\":[1,]}",
          "{\"a\":NaN}",
          "\uFEFF{}",
          "{\u000B}",
          "{\"a\":1}}"
        }) {
      assertThatThrownBy(() -> FlatJson.object(json)).as(json).isInstanceOf(IOException.class);
    }
  }

  @Test
  void refusesNestingDeeperThanItsLimitWithoutOverflowingTheStack() throws IOException {
    String deep = "[".repeat(FlatJson.MAX_DEPTH - 1) + "]".repeat(FlatJson.MAX_DEPTH - 1);
    assertThat(FlatJson.object("{\"a\":" + deep + ",\"b\":\"c\"}"))
        .containsOnly(Map.entry("b", "c"));
    String hostile = "{\"a\":" + "[".repeat(1_000_000) + "}";
    assertThatThrownBy(() -> FlatJson.object(hostile))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("nested more than " + FlatJson.MAX_DEPTH);
  }

  @Test
  void anErrorNamesWhereButNeverQuotesTheDocument() {
    assertThatThrownBy(() -> FlatJson.object("{\"key\":\"s3cr3t-value\" x}"))
        .isInstanceOf(IOException.class)
        .hasMessage("expected ',' or '}' at offset 23")
        .hasMessageNotContaining("s3cr3t");
  }

  /**
   * Thousands of generated documents, and damaged copies of each (a character removed, added or
   * changed, the end cut off): FlatJson and jackson-core's parser (the reference: what the step
   * used before) read the same fields from each, or both refuse it.
   */
  @Test
  void readsWhatJacksonReadsAndRefusesWhatItRefuses() {
    Random random = new Random(20261203L);
    int valid = 0;
    int refused = 0;
    for (int i = 0; i < 3000; i++) {
      StringBuilder doc = new StringBuilder();
      if (random.nextBoolean()) {
        object(random, doc, 0);
      } else {
        doc.append('[');
        int n = random.nextInt(4);
        for (int j = 0; j < n; j++) {
          if (j > 0) {
            doc.append(',');
          }
          space(random, doc);
          object(random, doc, 1);
        }
        doc.append(']');
      }
      List<String> cases = new ArrayList<>();
      cases.add(doc.toString());
      for (int k = 0; k < 8; k++) {
        cases.add(damage(random, doc.toString()));
      }
      for (String json : cases) {
        Object ours = outcome(() -> FlatJson.object(json));
        Object theirs = outcome(() -> JacksonFlatJson.object(json));
        assertThat(ours).as("object(%s)", json).isEqualTo(theirs);
        Object ourList = outcome(() -> FlatJson.arrayOfObjects(json));
        Object theirList = outcome(() -> JacksonFlatJson.arrayOfObjects(json));
        assertThat(ourList).as("arrayOfObjects(%s)", json).isEqualTo(theirList);
        if (ours instanceof Map || ourList instanceof List) {
          valid++;
        } else {
          refused++;
        }
      }
    }
    // Both kinds were well represented.
    assertThat(valid).isGreaterThan(3000);
    assertThat(refused).isGreaterThan(10_000);
  }

  private interface Read {
    Object read() throws IOException;
  }

  /** What a read gave, or REFUSED when it threw an IOException. */
  private static Object outcome(Read read) {
    try {
      return read.read();
    } catch (IOException e) {
      return "REFUSED";
    }
  }

  private static final String DAMAGE =
      "{}[]\",:\\ 0123456789eE.+-tfnulx/\u0001\u00e9\uFEFF\t\u000B";

  private static String damage(Random random, String json) {
    if (json.isEmpty()) {
      return json;
    }
    int at = random.nextInt(json.length());
    char c = DAMAGE.charAt(random.nextInt(DAMAGE.length()));
    switch (random.nextInt(4)) {
      case 0:
        return json.substring(0, at) + json.substring(at + 1);
      case 1:
        return json.substring(0, at) + c + json.substring(at);
      case 2:
        return json.substring(0, at) + c + json.substring(at + 1);
      default:
        return json.substring(0, at);
    }
  }

  private static void object(Random random, StringBuilder doc, int depth) {
    doc.append('{');
    int n = random.nextInt(5);
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        doc.append(',');
      }
      space(random, doc);
      string(random, doc);
      space(random, doc);
      doc.append(':');
      space(random, doc);
      value(random, doc, depth + 1);
      space(random, doc);
    }
    doc.append('}');
  }

  private static void value(Random random, StringBuilder doc, int depth) {
    int kind = random.nextInt(depth > 4 ? 6 : 8);
    switch (kind) {
      case 0, 1 -> string(random, doc);
      case 2 -> number(random, doc);
      case 3 -> doc.append("true");
      case 4 -> doc.append("false");
      case 5 -> doc.append("null");
      case 6 -> object(random, doc, depth);
      default -> {
        doc.append('[');
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
          if (i > 0) {
            doc.append(',');
          }
          space(random, doc);
          value(random, doc, depth + 1);
        }
        doc.append(']');
      }
    }
  }

  private static void string(Random random, StringBuilder doc) {
    doc.append('"');
    int n = random.nextInt(8);
    for (int i = 0; i < n; i++) {
      switch (random.nextInt(12)) {
        case 0 -> doc.append("\\").append("\"\\/bfnrt".charAt(random.nextInt(8)));
        case 1 -> doc.append(String.format("\\u%04x", random.nextInt(0x10000)));
        case 2 -> doc.append((char) (0x80 + random.nextInt(0x3000)));
        case 3 -> doc.append(random.nextBoolean() ? "\ud83d\udd11" : "\u007f");
        default -> doc.append((char) ('a' + random.nextInt(26)));
      }
    }
    doc.append('"');
  }

  private static void number(Random random, StringBuilder doc) {
    if (random.nextBoolean()) {
      doc.append('-');
    }
    doc.append(random.nextInt(4) == 0 ? "0" : Integer.toString(1 + random.nextInt(100_000)));
    if (random.nextBoolean()) {
      doc.append('.').append(random.nextInt(1000));
    }
    if (random.nextInt(3) == 0) {
      doc.append(random.nextBoolean() ? 'e' : 'E');
      int sign = random.nextInt(3);
      doc.append(sign == 0 ? "" : sign == 1 ? "+" : "-");
      doc.append(random.nextInt(30));
    }
  }

  private static void space(Random random, StringBuilder doc) {
    int n = random.nextInt(3);
    for (int i = 0; i < n; i++) {
      doc.append(" \t\n\r".charAt(random.nextInt(4)));
    }
  }
}

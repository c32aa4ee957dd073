package io.nbsecrets.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.Map;
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
}

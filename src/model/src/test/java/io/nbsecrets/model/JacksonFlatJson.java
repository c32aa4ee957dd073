package io.nbsecrets.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link FlatJson}'s contract read by jackson-core's streaming parser (what the init step used
 * before): the reference FlatJsonTest compares it with.
 */
final class JacksonFlatJson {
  private static final JsonFactory FACTORY = new JsonFactory();

  private JacksonFlatJson() {}

  static Map<String, String> object(String json) throws IOException {
    try (JsonParser p = FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("not a JSON object");
      }
      Map<String, String> fields = readObject(p);
      requireEnd(p);
      return fields;
    }
  }

  static List<Map<String, String>> arrayOfObjects(String json) throws IOException {
    try (JsonParser p = FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new IOException("not a JSON array");
      }
      List<Map<String, String>> objects = new ArrayList<>();
      for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
        if (t != JsonToken.START_OBJECT) {
          throw new IOException("an element is not a JSON object");
        }
        objects.add(readObject(p));
      }
      requireEnd(p);
      return objects;
    }
  }

  private static Map<String, String> readObject(JsonParser p) throws IOException {
    Map<String, String> fields = new HashMap<>();
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
        p.skipChildren();
      } else if (value != JsonToken.VALUE_NULL) {
        fields.put(name, p.getText());
      }
    }
    return fields;
  }

  private static void requireEnd(JsonParser p) throws IOException {
    if (p.nextToken() != null) {
      throw new IOException("trailing content after the JSON value");
    }
  }
}

package io.nbsecrets.init;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The few small JSON documents the init step reads — the manifest, the API's reply, a token's
 * claims — with jackson-core's streaming parser. They are objects of scalar fields (or an array of
 * such objects); databind's object mapper would cost the step, which starts in every session pod,
 * about 70 ms on its first use, more than parsing them does.
 */
final class FlatJson {
  private static final JsonFactory FACTORY = new JsonFactory();

  private FlatJson() {}

  /**
   * The scalar fields of a JSON object, as text (nested objects and arrays skipped; a field whose
   * value is {@code null} is absent).
   *
   * @throws IOException if {@code json} is not one JSON object
   */
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

  /**
   * An array of JSON objects, each as {@link #object}.
   *
   * @throws IOException if {@code json} is not one JSON array of objects
   */
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

  /** The fields of the object whose START_OBJECT was just read, up to its END_OBJECT. */
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

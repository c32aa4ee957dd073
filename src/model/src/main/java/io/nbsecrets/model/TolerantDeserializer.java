package io.nbsecrets.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * Reads a part of a NotebookSession that may hold more than this operator's model knows, and never
 * fails on it.
 *
 * <p>Why: the API server keeps whatever the installed CRD allows, and the CRD can be newer than the
 * operator (CRDs upgraded apart from the operator, a rolled-back release). One object the model
 * cannot read fails the informer's whole list or watch, and the operator process exits — and meets
 * the same object after every restart. So a field the model does not know is skipped, a value of an
 * unexpected type is left out (the field reads as unset), and each is recorded as a problem: the
 * path of the field and what was wrong, never its value (an unknown field may hold anything).
 */
abstract class TolerantDeserializer<T> extends StdDeserializer<T> {
  private static final long serialVersionUID = 1L;

  /** Problems kept per object; more are counted. */
  static final int MAX_PROBLEMS = 10;

  /** Attempts at a value with unexpected types, one left out per attempt. */
  private static final int MAX_ATTEMPTS = 32;

  /** Field names are quoted in messages up to this length. */
  private static final int MAX_NAME = 63;

  /** Cancels the class's own {@code @JsonDeserialize} for the inner, strict read. */
  @JsonDeserialize(using = JsonDeserializer.None.class)
  private abstract static class Plain {}

  private final String root;
  private final transient ObjectMapper strict;

  /**
   * @param root the path of the value in the session, such as {@code spec}
   */
  protected TolerantDeserializer(Class<T> type, String root) {
    super(type);
    this.root = root;
    this.strict =
        new ObjectMapper()
            .addMixIn(type, Plain.class)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  }

  /** The value read, with the problems that were skipped or left out (empty when none). */
  protected abstract T withProblems(T value, List<String> problems);

  /** The value when nothing of it could be read. */
  protected abstract T empty();

  @Override
  @SuppressWarnings("unchecked")
  public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    JsonNode tree = p.readValueAsTree();
    List<String> problems = new ArrayList<>();
    if (tree == null || !tree.isObject()) {
      problems.add(root + " is not an object");
      return withProblems(empty(), problems);
    }
    ObjectNode copy = tree.deepCopy();
    ObjectReader reader =
        strict
            .readerFor(handledType())
            .withHandler(
                new DeserializationProblemHandler() {
                  @Override
                  public boolean handleUnknownProperty(
                      DeserializationContext c,
                      JsonParser parser,
                      JsonDeserializer<?> deserializer,
                      Object beanOrClass,
                      String propertyName)
                      throws IOException {
                    problems.add(path(parser) + " is not a field this operator knows");
                    parser.skipChildren();
                    return true;
                  }
                });
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      int before = problems.size();
      try {
        return withProblems((T) reader.readValue(copy), capped(problems));
      } catch (JsonMappingException e) {
        // Unknown fields are found again on the next attempt: keep them once.
        problems.subList(before, problems.size()).clear();
        List<JsonMappingException.Reference> at = e.getPath();
        problems.add(path(at) + " " + expected(e));
        if (at.isEmpty() || !leaveOut(copy, at)) {
          return withProblems(empty(), capped(problems));
        }
      }
    }
    problems.add(root + " has too many values of unexpected types");
    return withProblems(empty(), capped(problems));
  }

  private static List<String> capped(List<String> problems) {
    if (problems.size() <= MAX_PROBLEMS) {
      return List.copyOf(problems);
    }
    List<String> kept = new ArrayList<>(problems.subList(0, MAX_PROBLEMS));
    kept.add("and " + (problems.size() - MAX_PROBLEMS) + " more");
    return List.copyOf(kept);
  }

  /** Sets the value at {@code at} to null (array elements keep their places, and indexes). */
  private static boolean leaveOut(JsonNode tree, List<JsonMappingException.Reference> at) {
    JsonNode parent = tree;
    for (int i = 0; i < at.size() - 1 && parent != null; i++) {
      parent = step(parent, at.get(i));
    }
    JsonMappingException.Reference last = at.get(at.size() - 1);
    if (parent instanceof ObjectNode o && last.getFieldName() != null) {
      return o.remove(last.getFieldName()) != null;
    }
    if (parent instanceof ArrayNode a && last.getIndex() >= 0 && last.getIndex() < a.size()) {
      if (a.get(last.getIndex()).isNull()) {
        return false;
      }
      a.set(last.getIndex(), NullNode.getInstance());
      return true;
    }
    return false;
  }

  private static JsonNode step(JsonNode node, JsonMappingException.Reference r) {
    return r.getFieldName() != null ? node.get(r.getFieldName()) : node.get(r.getIndex());
  }

  private String path(List<JsonMappingException.Reference> at) {
    StringBuilder s = new StringBuilder(root);
    for (JsonMappingException.Reference r : at) {
      if (r.getFieldName() != null) {
        s.append('.').append(name(r.getFieldName()));
      } else if (r.getIndex() >= 0) {
        s.append('[').append(r.getIndex()).append(']');
      }
    }
    return s.toString();
  }

  /** The path of the field whose value the parser is at. */
  private String path(JsonParser parser) {
    JsonStreamContext c = parser.getParsingContext();
    JsonToken t = parser.currentToken();
    if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
      c = c.getParent();
    }
    Deque<String> parts = new ArrayDeque<>();
    for (; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inArray()) {
        parts.push("[" + Math.max(0, c.getCurrentIndex()) + "]");
      } else if (c.getCurrentName() != null) {
        parts.push("." + name(c.getCurrentName()));
      }
    }
    return root + String.join("", parts);
  }

  private static String name(String field) {
    return field.length() <= MAX_NAME ? field : field.substring(0, MAX_NAME) + "...";
  }

  /** What the model expected, in words (the exception's own message may quote the value). */
  private static String expected(JsonMappingException e) {
    Class<?> type = e instanceof MismatchedInputException m ? m.getTargetType() : null;
    if (type == null) {
      return "has a value this operator cannot read";
    }
    String what;
    if (type == Integer.class || type == Long.class || type == int.class || type == long.class) {
      what = "an integer";
    } else if (type == String.class) {
      what = "a string";
    } else if (type == Boolean.class || type == boolean.class) {
      what = "true or false";
    } else if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      what = "a list";
    } else if (Map.class.isAssignableFrom(type)) {
      what = "a map";
    } else {
      what = "an object";
    }
    return "is not " + what + " as this operator expects";
  }
}

package io.nbsecrets.model;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The few small JSON documents the init step reads — the manifest, the API's reply, a token's
 * claims ({@link TokenExpiry}): objects of scalar fields, or an array of such objects — read by a
 * strict parser of RFC 8259's grammar that keeps only what the step needs. jackson-core, which read
 * them before, cost the step 6 to 13 ms at every session start (its factory's set-up in a cold JVM:
 * symbol tables, buffer pools, and the method-handle machinery its atomics start); this costs well
 * under one. {@code FlatJsonTest} checks it against jackson-core on thousands of generated
 * documents, valid and damaged: the same fields, or a refusal by both.
 */
public final class FlatJson {
  /** Deeper nesting is refused: the documents read here are two levels deep. */
  static final int MAX_DEPTH = 64;

  private final String text;
  private final boolean numbersOnly;
  private int at;

  private FlatJson(String text, boolean numbersOnly) {
    this.text = text;
    this.numbersOnly = numbersOnly;
  }

  /**
   * The scalar fields of a JSON object, as text (numbers as written, {@code true}/{@code false};
   * nested objects and arrays skipped; a field whose value is {@code null} is absent; of two fields
   * of the same name, the last).
   *
   * @throws IOException if {@code json} is not one JSON object
   */
  public static Map<String, String> object(String json) throws IOException {
    return new FlatJson(json, false).wholeObject();
  }

  /**
   * The fields of a JSON object whose values are numbers, as written ({@link #object}'s others left
   * out: a claim that must be a number is not read from a string).
   *
   * @throws IOException if {@code json} is not one JSON object
   */
  public static Map<String, String> numbers(String json) throws IOException {
    return new FlatJson(json, true).wholeObject();
  }

  /**
   * An array of JSON objects, each as {@link #object}.
   *
   * @throws IOException if {@code json} is not one JSON array of objects
   */
  public static List<Map<String, String>> arrayOfObjects(String json) throws IOException {
    FlatJson p = new FlatJson(json, false);
    p.expect('[', "not a JSON array");
    List<Map<String, String>> objects = new ArrayList<>();
    if (!p.consume(']')) {
      do {
        p.expect('{', "an element is not a JSON object");
        objects.add(p.readObject());
      } while (p.separator(']'));
    }
    p.requireEnd();
    return objects;
  }

  /** The document as one object, and nothing after it. */
  private Map<String, String> wholeObject() throws IOException {
    expect('{', "not a JSON object");
    Map<String, String> fields = readObject();
    requireEnd();
    return fields;
  }

  /** The fields of the object whose '{' was just read, up to its '}'. */
  private Map<String, String> readObject() throws IOException {
    Map<String, String> fields = new HashMap<>();
    if (consume('}')) {
      return fields;
    }
    do {
      skipWhitespace();
      String name = readString();
      expect(':', "no ':' after a field name");
      skipWhitespace();
      boolean number = peek() == '-' || (peek() >= '0' && peek() <= '9');
      String value = readScalarOrSkip(1);
      if (value != null && (number || !numbersOnly)) {
        fields.put(name, value);
      } else if (numbersOnly) {
        fields.remove(name); // the last of two fields of a name is the one read (RFC 7519, 4)
      }
    } while (separator('}'));
    return fields;
  }

  /**
   * A scalar value's text (null for {@code null}), or null after skipping an object or an array
   * nested {@code depth} levels deep.
   */
  private String readScalarOrSkip(int depth) throws IOException {
    char c = peek();
    if (c == '"') {
      return readString();
    } else if (c == '{' || c == '[') {
      skipValue(depth);
      return null;
    } else if (c == 't') {
      return literal("true");
    } else if (c == 'f') {
      return literal("false");
    } else if (c == 'n') {
      literal("null");
      return null;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      return readNumber();
    }
    throw error("unexpected character");
  }

  /** Skips the value at the cursor, {@code depth} levels deep. */
  private void skipValue(int depth) throws IOException {
    if (depth > MAX_DEPTH) {
      throw error("nested more than " + MAX_DEPTH + " levels deep");
    }
    skipWhitespace();
    char c = peek();
    if (c == '{') {
      at++;
      if (!consume('}')) {
        do {
          skipWhitespace();
          readString();
          expect(':', "no ':' after a field name");
          skipValue(depth + 1);
        } while (separator('}'));
      }
    } else if (c == '[') {
      at++;
      if (!consume(']')) {
        do {
          skipValue(depth + 1);
        } while (separator(']'));
      }
    } else {
      readScalarOrSkip(depth);
    }
  }

  /** After a member or an element: true after a ',' (another follows), false after {@code end}. */
  private boolean separator(char end) throws IOException {
    skipWhitespace();
    if (at < text.length()) {
      char c = text.charAt(at++);
      if (c == ',') {
        return true;
      } else if (c == end) {
        return false;
      }
    }
    throw error("expected ',' or '" + end + "'");
  }

  private String readString() throws IOException {
    if (peek() != '"') {
      throw error("expected a string");
    }
    at++;
    StringBuilder out = null;
    int start = at;
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c == '"') {
        String s = out == null ? text.substring(start, at) : out.append(text, start, at).toString();
        at++;
        return s;
      } else if (c == '\\') {
        if (out == null) {
          out = new StringBuilder();
        }
        out.append(text, start, at);
        out.append(escape());
        start = at;
      } else if (c < 0x20) {
        throw error("a control character in a string");
      } else {
        at++;
      }
    }
    throw error("an unterminated string");
  }

  /** The character of the escape sequence at the cursor (its backslash), which it moves past. */
  private char escape() throws IOException {
    if (at + 1 >= text.length()) {
      throw error("an unterminated string");
    }
    char c = text.charAt(at + 1);
    at += 2;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        return c;
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u':
        if (at + 4 > text.length()) {
          throw error("a short \\u escape");
        }
        int code = 0;
        for (int i = 0; i < 4; i++) {
          code = code * 16 + hex(text.charAt(at + i));
        }
        at += 4;
        return (char) code;
      default:
        throw error("a bad escape");
    }
  }

  /** A number as RFC 8259 writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  private String readNumber() throws IOException {
    int start = at;
    if (text.charAt(at) == '-') {
      at++;
    }
    int integer = at;
    int length = digits();
    if (length == 0) {
      throw error("a number without digits");
    } else if (length > 1 && text.charAt(integer) == '0') {
      throw error("a number with a leading zero");
    }
    if (at < text.length() && text.charAt(at) == '.') {
      at++;
      if (digits() == 0) {
        throw error("a number without digits after its point");
      }
    }
    if (at < text.length() && (text.charAt(at) == 'e' || text.charAt(at) == 'E')) {
      at++;
      if (at < text.length() && (text.charAt(at) == '+' || text.charAt(at) == '-')) {
        at++;
      }
      if (digits() == 0) {
        throw error("a number without digits in its exponent");
      }
    }
    return text.substring(start, at);
  }

  private int hex(char c) throws IOException {
    if (c >= '0' && c <= '9') {
      return c - '0';
    } else if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    throw error("a bad \\u escape");
  }

  private int digits() {
    int start = at;
    while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
      at++;
    }
    return at - start;
  }

  private String literal(String word) throws IOException {
    if (!text.startsWith(word, at)) {
      throw error("unexpected character");
    }
    at += word.length();
    return word;
  }

  private void expect(char c, String problem) throws IOException {
    if (!consume(c)) {
      throw new IOException(problem);
    }
  }

  /** Skips whitespace, then moves past {@code c} if it is next. */
  private boolean consume(char c) {
    skipWhitespace();
    if (at < text.length() && text.charAt(at) == c) {
      at++;
      return true;
    }
    return false;
  }

  private char peek() throws IOException {
    if (at >= text.length()) {
      throw error("unexpected end of input");
    }
    return text.charAt(at);
  }

  private void skipWhitespace() {
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      at++;
    }
  }

  private void requireEnd() throws IOException {
    skipWhitespace();
    if (at != text.length()) {
      throw new IOException("trailing content after the JSON value");
    }
  }

  /** The problem and where: never the document's text, which may hold a key. */
  private IOException error(String problem) {
    return new IOException(problem + " at offset " + at);
  }
}

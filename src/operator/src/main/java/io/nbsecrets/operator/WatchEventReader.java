package io.nbsecrets.operator;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserSequence;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.WatchEvent;
import java.io.IOException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;

/**
 * Reads a watch event's object straight into the class of its {@code apiVersion} and {@code kind}.
 *
 * <p>Why: the event's object is typed {@link KubernetesResource}, and Fabric8 reads such a value
 * into a JSON tree, looks up its kind in the tree, then converts the tree into the object: every
 * object of every watch event (a pod's, a StatefulSet's, a session's) is read twice, and the tree
 * holds all of it, {@code managedFields} included, which the operator then drops.
 *
 * <p>The API server writes {@code kind} and {@code apiVersion} first. This reader reads them, finds
 * the class, and reads the rest of the object from the stream into it, as Jackson does with a type
 * id that comes first (the class's own {@code kind} and {@code apiVersion}, which it is made with,
 * are the same). Fields before or between them are buffered and read again ahead of the stream, as
 * Jackson does with a type id that comes later; an object of a kind the client does not know, or
 * without a kind, is read as Fabric8 reads it.
 */
final class WatchEventReader extends StdDeserializer<WatchEvent> {
  private static final long serialVersionUID = 1L;

  /** The apiVersion and kind an object of a class has when it is made, as "apiVersion/kind". */
  private static final ClassValue<String> NAMES_ITSELF =
      new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> type) {
          try {
            if (type.getDeclaredConstructor().newInstance() instanceof HasMetadata made) {
              return made.getApiVersion() + "/" + made.getKind();
            }
          } catch (ReflectiveOperationException | RuntimeException e) {
            // No such object can be made: never read without the type fields.
          }
          return "";
        }
      };

  /** The class the client reads for an {@code apiVersion} and {@code kind}; null when none. */
  private transient volatile BiFunction<String, String, Class<? extends KubernetesResource>>
      classes = (apiVersion, kind) -> null;

  /** Objects read in one pass, after their type fields alone. */
  private final LongAdder streamed = new LongAdder();

  WatchEventReader() {
    super(WatchEvent.class);
  }

  /** How many objects were read in one pass, after their type fields alone, since this was made. */
  long streamed() {
    return streamed.sum();
  }

  /** Where the classes of kinds come from (the serialization this reader is part of). */
  void classesFrom(BiFunction<String, String, Class<? extends KubernetesResource>> classes) {
    this.classes = classes;
  }

  @Override
  public WatchEvent deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    if (!p.isExpectedStartObjectToken()) {
      return (WatchEvent) ctxt.handleUnexpectedToken(WatchEvent.class, p);
    }
    String type = null;
    Object object = null;
    for (String field = p.nextFieldName(); field != null; field = p.nextFieldName()) {
      JsonToken value = p.nextToken();
      if (value == JsonToken.VALUE_NULL) {
        continue;
      }
      switch (field) {
        case "type" -> type = ctxt.readValue(p, String.class);
        case "object" -> object = object(p, ctxt);
        default -> p.skipChildren();
      }
    }
    return new WatchEvent(object, type);
  }

  private Object object(JsonParser p, DeserializationContext ctxt) throws IOException {
    if (!p.isExpectedStartObjectToken()) {
      return ctxt.readValue(p, KubernetesResource.class);
    }
    TokenBuffer head = ctxt.bufferForInputBuffering(p);
    head.writeStartObject();
    String apiVersion = null;
    String kind = null;
    int fields = 0;
    while (apiVersion == null || kind == null) {
      String field = p.nextFieldName();
      if (field == null) {
        // The whole object is buffered, and it names no class: Fabric8's way.
        head.writeEndObject();
        return ctxt.readValue(head.asParserOnFirstToken(), KubernetesResource.class);
      }
      fields++;
      head.writeFieldName(field);
      JsonToken value = p.nextToken();
      if (value == JsonToken.VALUE_STRING && field.equals("apiVersion")) {
        apiVersion = p.getText();
      } else if (value == JsonToken.VALUE_STRING && field.equals("kind")) {
        kind = p.getText();
      }
      head.copyCurrentStructure(p);
    }
    Class<? extends KubernetesResource> known = classes.apply(apiVersion, kind);
    if (fields == 2 && known != null && NAMES_ITSELF.get(known).equals(apiVersion + "/" + kind)) {
      // Only the type was read, and the class's own fields say the same: the rest of the object
      // is read from the stream, from its next field on.
      p.nextToken();
      streamed.increment();
      return ctxt.readValue(p, known);
    }
    Class<?> type = known == null ? KubernetesResource.class : known;
    JsonParser whole = JsonParserSequence.createFlattened(false, head.asParser(p), p);
    whole.nextToken();
    return ctxt.readValue(whole, type);
  }
}

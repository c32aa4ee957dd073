package io.nbsecrets.operator;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserSequence;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.internal.KubernetesDeserializer;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reads a watch event's object straight into the class of its {@code apiVersion} and {@code kind}.
 *
 * <p>Why: the event's object is typed {@link KubernetesResource}, and Fabric8 reads such a value
 * into a JSON tree, looks up its kind in the tree, then converts the tree into the object: every
 * object of every watch event (a pod's, a StatefulSet's, a session's) is read twice, and the tree
 * holds all of it, {@code managedFields} included, which the operator then drops.
 *
 * <p>The API server writes {@code kind} and {@code apiVersion} first (a custom resource's fields
 * come sorted: {@code apiVersion}, {@code kind}, then the rest). This reader reads them, finds the
 * class the serialization has for them, and reads the rest of the object from the stream into it,
 * as Jackson does with a type id that comes first. It does so only when the class is read by a
 * plain bean deserializer or a {@link SlimReaders} reader (which take an object from its next field
 * on) and is made with the same {@code apiVersion} and {@code kind} (which it then keeps).
 * Otherwise the fields read so far are buffered and read again ahead of the stream, as Jackson does
 * with a type id that comes later; an object of a kind the serialization does not know, or without
 * a kind, is read as Fabric8 reads it. The event's other fields are kept, as Fabric8 keeps them.
 *
 * <p>Where it differs: of two {@code kind} or {@code apiVersion} fields in one object (which the
 * API server never sends) the first chooses the class, where Fabric8's tree keeps the last.
 */
final class WatchEventReader extends StdDeserializer<WatchEvent> {
  private static final long serialVersionUID = 1L;

  /** The apiVersion and kind an object of a class has when it is made; none for other classes. */
  private record TypeFields(String apiVersion, String kind) {
    static final TypeFields NONE = new TypeFields(null, null);

    boolean are(String otherApiVersion, String otherKind) {
      return apiVersion != null
          && apiVersion.equals(otherApiVersion)
          && Objects.equals(kind, otherKind);
    }
  }

  private static final ClassValue<TypeFields> MADE_WITH =
      new ClassValue<>() {
        @Override
        protected TypeFields computeValue(Class<?> type) {
          try {
            if (type.getDeclaredConstructor().newInstance() instanceof HasMetadata made) {
              return new TypeFields(made.getApiVersion(), made.getKind());
            }
          } catch (ReflectiveOperationException | RuntimeException e) {
            // No such object can be made: never read without the type fields.
          }
          return TypeFields.NONE;
        }
      };

  /** Objects read in one pass, after their type fields alone. */
  private final LongAdder streamed = new LongAdder();

  /**
   * The readers this one found, by class (the serialization's {@link KubernetesResource} reader
   * among them): Jackson's look-up by type introspects the class's annotations at every call, which
   * cost more than a small event's object. A reader is registered with one serialization, so what
   * it found holds for all its events.
   */
  private final transient Map<Class<?>, JsonDeserializer<Object>> readers =
      new ConcurrentHashMap<>();

  WatchEventReader() {
    super(WatchEvent.class);
  }

  /** How many objects were read in one pass, after their type fields alone, since this was made. */
  long streamed() {
    return streamed.sum();
  }

  @Override
  public WatchEvent deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    if (!p.isExpectedStartObjectToken()) {
      return (WatchEvent) ctxt.handleUnexpectedToken(WatchEvent.class, p);
    }
    WatchEvent event = new WatchEvent();
    for (String field = p.nextFieldName(); field != null; field = p.nextFieldName()) {
      boolean isNull = p.nextToken() == JsonToken.VALUE_NULL;
      // Of two fields of one name, the last counts, as in Fabric8's way.
      switch (field) {
        case "type" ->
            event.setType(isNull ? null : (String) reader(String.class, ctxt).deserialize(p, ctxt));
        case "object" -> event.setObject(isNull ? null : object(p, ctxt));
        default ->
            event.setAdditionalProperty(field, isNull ? null : ctxt.readValue(p, Object.class));
      }
    }
    return event;
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
    JsonDeserializer<?> kinds = reader(KubernetesResource.class, ctxt);
    Class<? extends KubernetesResource> known =
        kinds instanceof KubernetesDeserializer k ? k.getRegisteredKind(apiVersion, kind) : null;
    if (known == null) {
      return ctxt.readValue(buffered(head, p), KubernetesResource.class);
    }
    JsonDeserializer<Object> reader = reader(known, ctxt);
    if (fields == 2
        && (reader.getClass() == BeanDeserializer.class || SlimReaders.readsFromNextField(reader))
        && MADE_WITH.get(known).are(apiVersion, kind)) {
      // Only the type fields were read, and the class is made with them: the rest of the object
      // is read from the stream, from its next field on.
      p.nextToken();
      streamed.increment();
      return reader.deserialize(p, ctxt);
    }
    return reader.deserialize(buffered(head, p), ctxt);
  }

  /** The serialization's reader of {@code type}, found once. */
  private JsonDeserializer<Object> reader(Class<?> type, DeserializationContext ctxt)
      throws IOException {
    JsonDeserializer<Object> found = readers.get(type);
    if (found == null) {
      found = ctxt.findRootValueDeserializer(ctxt.constructType(type));
      readers.put(type, found);
    }
    return found;
  }

  /** The fields read so far, then the rest of the object, from its start. */
  private static JsonParser buffered(TokenBuffer head, JsonParser p) throws IOException {
    JsonParser whole = JsonParserSequence.createFlattened(false, head.asParser(p), p);
    whole.nextToken();
    return whole;
  }
}

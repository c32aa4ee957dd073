package io.nbsecrets.operator;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.ResolvableDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Reads the StatefulSets and pods the operator's client is sent (watch events, lists, the answers
 * to its own writes) straight into what the operator keeps of them: {@link Workload#slim} and
 * {@link SessionPods#slim}. What no reconcile reads (a pod's spec and most of its status, a
 * StatefulSet's pod template but its sealed volume) is skipped while the JSON is read: it is
 * tokenized, never made into objects, so that the deep model classes of a pod spec are neither
 * built nor filled through their setters (the larger part of reading such an object), nor copied
 * again into the slim object.
 *
 * <p>What is kept is made by the same code as {@code slim} makes it from a whole object, so that
 * the two cannot differ; {@code SlimReadersTest} reads objects a real API server wrote both ways.
 * An object the operator's client reads is therefore always slim, in every namespace setting:
 * nothing of the operator may read a part of a pod or a StatefulSet that {@code slim} does not
 * keep, and nothing writes an object read (a replace is built from the session).
 *
 * <p>Each reader takes an object from its start or from its next field on, as a bean deserializer
 * does ({@link WatchEventReader} gives it the object after the type fields it read).
 */
final class SlimReaders {
  private SlimReaders() {}

  /** A module with both readers, for the operator's own client only. */
  static SimpleModule module() {
    return new SimpleModule("nbsecrets-slim-objects")
        .addDeserializer(StatefulSet.class, new StatefulSets())
        .addDeserializer(Pod.class, new Pods());
  }

  /** Whether {@code reader} is one of these, which take an object from its next field on. */
  static boolean readsFromNextField(JsonDeserializer<?> reader) {
    return reader instanceof Reader<?, ?>;
  }

  /**
   * What every object gives: its type fields (when it names them, else those its class is made
   * with) and its metadata.
   */
  private abstract static class Parts {
    String apiVersion;
    String kind;
    ObjectMeta metadata;
  }

  /** Reads an object of {@code T} from its parts, gathered in a {@code P}. */
  private abstract static class Reader<T extends HasMetadata, P extends Parts>
      extends StdDeserializer<T> implements ResolvableDeserializer {
    private static final long serialVersionUID = 1L;

    private transient JsonDeserializer<Object> meta;
    private transient JsonDeserializer<Object> text;

    /** How an object of {@code T} is given its kind (not a method of {@link HasMetadata}). */
    private final transient BiConsumer<T, String> setKind;

    /** A new object's parts, none read yet. */
    private final transient Supplier<P> start;

    Reader(Class<T> type, BiConsumer<T, String> setKind, Supplier<P> start) {
      super(type);
      this.setKind = setKind;
      this.start = start;
    }

    /**
     * Kept by the mapper, so that {@link #resolve} runs once: a reader that is not cached is made
     * and resolved again at each look-up through a context (as {@link WatchEventReader} looks up an
     * event's class), which finds its nested readers again.
     */
    @Override
    public boolean isCachable() {
      return true;
    }

    @Override
    public void resolve(DeserializationContext ctxt) throws JsonMappingException {
      meta = ctxt.findRootValueDeserializer(ctxt.constructType(ObjectMeta.class));
      text = ctxt.findRootValueDeserializer(ctxt.constructType(String.class));
      resolveParts(ctxt);
    }

    abstract void resolveParts(DeserializationContext ctxt) throws JsonMappingException;

    /** A string value at the current token, read as the model reads its string fields. */
    final String text(JsonParser p, DeserializationContext ctxt) throws IOException {
      return (String) text.deserialize(p, ctxt);
    }

    /**
     * Reads the object's top-level field {@code field}, other than its type fields and metadata,
     * into its parts; its value is current.
     */
    abstract void field(P parts, String field, JsonParser p, DeserializationContext ctxt)
        throws IOException;

    /** The object its parts make, before its type fields. */
    abstract T made(P parts);

    @Override
    public final T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken token = p.currentToken();
      if (token == JsonToken.START_OBJECT) {
        token = p.nextToken();
      } else if (token != JsonToken.FIELD_NAME && token != JsonToken.END_OBJECT) {
        @SuppressWarnings("unchecked")
        T unexpected = (T) ctxt.handleUnexpectedToken(handledType(), p);
        return unexpected;
      }
      P parts = start.get();
      for (; token == JsonToken.FIELD_NAME; token = p.nextToken()) {
        String field = p.currentName();
        if (p.nextToken() == JsonToken.VALUE_NULL) {
          continue;
        }
        switch (field) {
          case "apiVersion" -> parts.apiVersion = text(p, ctxt);
          case "kind" -> parts.kind = text(p, ctxt);
          case "metadata" -> {
            parts.metadata = (ObjectMeta) meta.deserialize(p, ctxt);
            // Never read (OperatorSerialization), and absent as SlimStore#metadata leaves it.
            parts.metadata.setManagedFields(null);
          }
          default -> field(parts, field, p, ctxt);
        }
      }
      T made = made(parts);
      if (parts.apiVersion != null) {
        made.setApiVersion(parts.apiVersion);
      }
      if (parts.kind != null) {
        setKind.accept(made, parts.kind);
      }
      return made;
    }
  }

  /**
   * Calls {@code field} with each field of the object that starts at the current token (its value
   * the current token), but for null ones. A value that is not an object fails, as the model's own
   * reader fails on it.
   */
  private interface FieldReader {
    void read(String field) throws IOException;
  }

  private static void fields(JsonParser p, DeserializationContext ctxt, FieldReader field)
      throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      ctxt.handleUnexpectedToken(Object.class, p);
      return;
    }
    for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
      if (p.nextToken() == JsonToken.VALUE_NULL) {
        continue;
      }
      field.read(name);
    }
  }

  /** Reads a value at the current token. */
  private interface ValueReader {
    void read() throws IOException;
  }

  /**
   * Reads field {@code name} of the object at the current token with {@code value} (unless null),
   * and skips its other fields.
   */
  private static void only(
      JsonParser p, DeserializationContext ctxt, String name, ValueReader value)
      throws IOException {
    fields(
        p,
        ctxt,
        field -> {
          if (field.equals(name)) {
            value.read();
          } else {
            p.skipChildren();
          }
        });
  }

  /**
   * Reads the array at the current token, keeping the elements named {@code name}; an element is
   * read by {@code reader} and its name found by {@code nameOf}. A value that is not an array
   * fails, as the model's own reader fails on it.
   */
  private static <E> List<E> named(
      JsonParser p,
      DeserializationContext ctxt,
      JsonDeserializer<Object> reader,
      Class<E> type,
      java.util.function.Function<E, String> nameOf,
      String name)
      throws IOException {
    List<E> kept = new ArrayList<>(1);
    if (p.currentToken() != JsonToken.START_ARRAY) {
      ctxt.handleUnexpectedToken(List.class, p);
      return kept;
    }
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t == JsonToken.VALUE_NULL) {
        continue;
      }
      E element = type.cast(reader.deserialize(p, ctxt));
      if (name.equals(nameOf.apply(element))) {
        kept.add(element);
      }
    }
    return kept;
  }

  /** A StatefulSet as {@link Workload#slim} keeps it. */
  private static final class StatefulSets extends Reader<StatefulSet, StatefulSets.Parts> {
    private static final long serialVersionUID = 1L;

    private transient JsonDeserializer<Object> volume;
    private transient JsonDeserializer<Object> status;

    /** What a StatefulSet gave so far. */
    static final class Parts extends SlimReaders.Parts {
      String podManagementPolicy;
      List<Volume> sealed = List.of();
      StatefulSetStatus status;
    }

    StatefulSets() {
      super(StatefulSet.class, StatefulSet::setKind, Parts::new);
    }

    @Override
    void resolveParts(DeserializationContext ctxt) throws JsonMappingException {
      volume = ctxt.findRootValueDeserializer(ctxt.constructType(Volume.class));
      status = ctxt.findRootValueDeserializer(ctxt.constructType(StatefulSetStatus.class));
    }

    @Override
    void field(Parts parts, String field, JsonParser p, DeserializationContext ctxt)
        throws IOException {
      switch (field) {
        case "status" -> parts.status = (StatefulSetStatus) status.deserialize(p, ctxt);
        case "spec" ->
            fields(
                p,
                ctxt,
                spec -> {
                  switch (spec) {
                    case "podManagementPolicy" -> parts.podManagementPolicy = text(p, ctxt);
                    case "template" ->
                        only(
                            p,
                            ctxt,
                            "spec",
                            () -> only(p, ctxt, "volumes", () -> sealed(parts, p, ctxt)));
                    default -> p.skipChildren();
                  }
                });
        default -> p.skipChildren();
      }
    }

    private void sealed(Parts parts, JsonParser p, DeserializationContext ctxt) throws IOException {
      parts.sealed = named(p, ctxt, volume, Volume.class, Volume::getName, Workload.SEALED_VOLUME);
    }

    @Override
    StatefulSet made(Parts parts) {
      return Workload.slim(parts.metadata, parts.podManagementPolicy, parts.sealed, parts.status);
    }
  }

  /** A pod as {@link SessionPods#slim} keeps it. */
  private static final class Pods extends Reader<Pod, Pods.Parts> {
    private static final long serialVersionUID = 1L;

    private transient JsonDeserializer<Object> containerStatus;

    /** What a pod gave so far. */
    static final class Parts extends SlimReaders.Parts {
      List<ContainerStatus> init = List.of();
    }

    Pods() {
      super(Pod.class, Pod::setKind, Parts::new);
    }

    @Override
    void resolveParts(DeserializationContext ctxt) throws JsonMappingException {
      containerStatus = ctxt.findRootValueDeserializer(ctxt.constructType(ContainerStatus.class));
    }

    @Override
    void field(Parts parts, String field, JsonParser p, DeserializationContext ctxt)
        throws IOException {
      switch (field) {
        case "status" ->
            only(
                p,
                ctxt,
                "initContainerStatuses",
                () ->
                    parts.init =
                        named(
                            p,
                            ctxt,
                            containerStatus,
                            ContainerStatus.class,
                            ContainerStatus::getName,
                            Workload.INIT_CONTAINER));
        default -> p.skipChildren();
      }
    }

    @Override
    Pod made(Parts parts) {
      return SessionPods.slim(parts.metadata, parts.init);
    }
  }
}

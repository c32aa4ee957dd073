package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.DeserializerFactoryConfig;
import com.fasterxml.jackson.databind.deser.BeanDeserializerFactory;
import com.fasterxml.jackson.databind.deser.DefaultDeserializationContext;
import com.fasterxml.jackson.databind.deser.DeserializerFactory;
import com.fasterxml.jackson.databind.jsontype.TypeDeserializer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.testing.ApiObjects;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The operator's watch events read the same objects as Fabric8's own way (a tree, then the object),
 * with the operator's serialization otherwise alike: objects a real kube-apiserver wrote, fields in
 * another order, kinds the client does not know, errors and bookmarks.
 */
class WatchEventReaderTest {
  private final WatchEventReader reader = new WatchEventReader();
  private final KubernetesSerialization operators = OperatorSerialization.create(reader);

  /** Fabric8's way, with the operator's mapper otherwise (no managed fields). */
  private final KubernetesSerialization fabric8s =
      new KubernetesSerialization(OperatorSerialization.mapper(), true);

  WatchEventReaderTest() {
    // So that Fabric8's way reads a session as a NotebookSession too (the operator's serialization
    // knows the kind by itself, which the test below checks).
    fabric8s.registerKubernetesResource(NotebookSession.class);
  }

  @Test
  void theOperatorsSerializationKnowsTheSessionsKindByItself() {
    assertThat(
            OperatorSerialization.create()
                .getRegisteredKubernetesResource("nbsecrets.io/v1alpha1", "NotebookSession"))
        .isEqualTo(NotebookSession.class);
    assertThat(
            new KubernetesSerialization(OperatorSerialization.mapper(), true)
                .getRegisteredKubernetesResource("nbsecrets.io/v1alpha1", "NotebookSession"))
        .as("what the client knew before: a session's event became a generic resource")
        .isNull();
  }

  static List<String> objects() {
    return List.of(
        ApiObjects.NOTEBOOK_SESSION,
        ApiObjects.STATEFUL_SET,
        ApiObjects.POD,
        ApiObjects.STORE_RECORD,
        ApiObjects.SESSION_SECRET);
  }

  private WatchEvent read(KubernetesSerialization serialization, String event) {
    return serialization.unmarshal(event, WatchEvent.class);
  }

  /**
   * Both ways read {@code event} to the same type and object, field for field, once Fabric8's is
   * made what the operator keeps of it (pods and StatefulSets slim: {@link SlimReaders}).
   */
  private Object sameAsFabric8s(String event) {
    WatchEvent ours = read(operators, event);
    WatchEvent theirs = read(fabric8s, event);
    if (theirs.getObject() instanceof Pod pod) {
      theirs.setObject(SessionPods.slim(pod));
    } else if (theirs.getObject() instanceof StatefulSet sts) {
      theirs.setObject(Workload.slim(sts));
    } else if (theirs.getObject() instanceof KubernetesList list) {
      list.setItems(
          list.getItems().stream()
              .map(item -> item instanceof Pod pod ? SessionPods.slim(pod) : item)
              .toList());
    }
    assertThat(ours.getType()).isEqualTo(theirs.getType());
    assertThat(ours.getAdditionalProperties()).isEqualTo(theirs.getAdditionalProperties());
    if (theirs.getObject() == null) {
      assertThat(ours.getObject()).isNull();
      return null;
    }
    assertThat(ours.getObject()).isInstanceOf(theirs.getObject().getClass());
    assertThat(operators.asJson(ours.getObject())).isEqualTo(fabric8s.asJson(theirs.getObject()));
    assertThat(ours.getObject()).usingRecursiveComparison().isEqualTo(theirs.getObject());
    return ours.getObject();
  }

  @ParameterizedTest
  @MethodSource("objects")
  void objectsTheApiServerWroteAreReadAsFabric8ReadsThem(String name) {
    String json = ApiObjects.json(name).strip();
    for (String type : List.of("ADDED", "MODIFIED", "DELETED")) {
      Object object = sameAsFabric8s("{\"type\":\"" + type + "\",\"object\":" + json + "}");
      assertThat(object).isNotInstanceOf(GenericKubernetesResource.class);
    }
    // The type after the object, and fields the event does not define (kept, as Fabric8 keeps
    // them), change nothing.
    WatchEvent event =
        read(operators, "{\"object\":" + json + ",\"future\":{\"a\":[1,2]},\"type\":\"MODIFIED\"}");
    assertThat(event.getAdditionalProperties()).containsEntry("future", Map.of("a", List.of(1, 2)));
    sameAsFabric8s("{\"object\":" + json + ",\"future\":{\"a\":[1,2]},\"type\":\"MODIFIED\"}");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        ApiObjects.NOTEBOOK_SESSION_EVENT,
        ApiObjects.STATEFUL_SET_EVENT,
        ApiObjects.POD_EVENT
      })
  void eventsAsTheApiServerSentThemAreReadInOnePass(String name) {
    long before = reader.streamed();
    Object object = sameAsFabric8s(ApiObjects.json(name));
    assertThat(reader.streamed()).as("read after its type fields alone").isEqualTo(before + 1);
    assertThat(object).isNotInstanceOf(GenericKubernetesResource.class);
    assertThat(((HasMetadata) object).getMetadata().getManagedFields()).isNullOrEmpty();
  }

  /**
   * Counts, by class, the readers the mapper makes (a miss of its cache) and the look-ups of a
   * class's type handling (an introspection of its annotations).
   */
  private static final class CountingFactory extends BeanDeserializerFactory {
    private static final long serialVersionUID = 1L;
    private final transient Map<Class<?>, Integer> made;
    private final transient Map<Class<?>, Integer> typeLookUps;

    CountingFactory(
        DeserializerFactoryConfig config,
        Map<Class<?>, Integer> made,
        Map<Class<?>, Integer> typeLookUps) {
      super(config);
      this.made = made;
      this.typeLookUps = typeLookUps;
    }

    @Override
    public DeserializerFactory withConfig(DeserializerFactoryConfig config) {
      return new CountingFactory(config, made, typeLookUps);
    }

    @Override
    public JsonDeserializer<Object> createBeanDeserializer(
        DeserializationContext ctxt, JavaType type, BeanDescription description)
        throws JsonMappingException {
      made.merge(type.getRawClass(), 1, Integer::sum);
      return super.createBeanDeserializer(ctxt, type, description);
    }

    @Override
    public TypeDeserializer findTypeDeserializer(DeserializationConfig config, JavaType type)
        throws JsonMappingException {
      typeLookUps.merge(type.getRawClass(), 1, Integer::sum);
      return super.findTypeDeserializer(config, type);
    }
  }

  @Test
  void eachReaderIsFoundOnceNotAtEachEvent() {
    Map<Class<?>, Integer> made = new ConcurrentHashMap<>();
    Map<Class<?>, Integer> typeLookUps = new ConcurrentHashMap<>();
    var counting = new CountingFactory(new DeserializerFactoryConfig(), made, typeLookUps);
    KubernetesSerialization serialization =
        OperatorSerialization.create(
            new ObjectMapper(null, null, new DefaultDeserializationContext.Impl(counting)),
            new WatchEventReader());
    for (int i = 0; i < 20; i++) {
      for (String event :
          List.of(
              ApiObjects.STATEFUL_SET_EVENT,
              ApiObjects.POD_EVENT,
              ApiObjects.NOTEBOOK_SESSION_EVENT)) {
        assertThat(read(serialization, ApiObjects.json(event)).getObject()).isNotNull();
      }
    }
    // Before: the slim readers were made (and their nested readers found) again for each event,
    // and every event's look-ups introspected the classes' annotations again.
    for (Class<?> type :
        List.of(StatefulSet.class, Pod.class, NotebookSession.class, ObjectMeta.class)) {
      assertThat(made.get(type)).as("readers made of %s", type.getSimpleName()).isEqualTo(1);
    }
    for (Class<?> type :
        List.of(KubernetesResource.class, StatefulSet.class, Pod.class, NotebookSession.class)) {
      assertThat(typeLookUps.getOrDefault(type, 0))
          .as("type handling looked up for %s", type.getSimpleName())
          .isLessThanOrEqualTo(1);
    }
  }

  @Test
  void aPodIsReadSlim() {
    Pod pod =
        (Pod)
            sameAsFabric8s(
                "{\"type\":\"MODIFIED\",\"object\":" + ApiObjects.json(ApiObjects.POD) + "}");
    assertThat(pod.getApiVersion()).isEqualTo("v1");
    assertThat(pod.getKind()).isEqualTo("Pod");
    assertThat(pod.getMetadata().getName()).isNotBlank();
    assertThat(pod.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(pod.getSpec()).isNull();
    assertThat(pod.getStatus().getInitContainerStatuses()).isNotEmpty();
    assertThat(pod.getStatus().getConditions()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // the type fields after others, between others, or apart
        "{\"metadata\":{\"name\":\"a\"},\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
            + "\"spec\":{\"replicas\":1}}",
        "{\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"a\"},\"apiVersion\":\"apps/v1\","
            + "\"spec\":{\"replicas\":1}}",
        "{\"kind\":\"StatefulSet\",\"apiVersion\":\"apps/v1\"}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"a\","
            + "\"managedFields\":[{\"manager\":\"m\",\"fieldsV1\":{\"f:spec\":{}}}]},"
            + "\"status\":{\"readyReplicas\":1}}",
      })
  void theTypeFieldsAnywhereInTheObject(String object) {
    long before = reader.streamed();
    boolean typeFirst =
        object.startsWith("{\"apiVersion\"")
            || object.startsWith("{\"kind\":\"StatefulSet\",\"apiVersion\"");
    StatefulSet sts =
        (StatefulSet) sameAsFabric8s("{\"type\":\"MODIFIED\",\"object\":" + object + "}");
    assertThat(sts.getApiVersion()).isEqualTo("apps/v1");
    assertThat(sts.getKind()).isEqualTo("StatefulSet");
    // Read in one pass only when the type fields come first; else from a buffer, alike.
    assertThat(reader.streamed()).isEqualTo(before + (typeFirst ? 1 : 0));
  }

  @Test
  void aKindTheClientDoesNotKnowIsReadAsFabric8ReadsIt() {
    long before = reader.streamed();
    Object object =
        sameAsFabric8s(
            "{\"type\":\"ADDED\",\"object\":{\"apiVersion\":\"example.io/v1\",\"kind\":\"Widget\","
                + "\"metadata\":{\"name\":\"w\"},\"spec\":{\"size\":3}}}");
    assertThat(object).isInstanceOf(GenericKubernetesResource.class);
    assertThat(((GenericKubernetesResource) object).getAdditionalProperties())
        .containsEntry("spec", Map.of("size", 3));
    // The event's fields after such an object are still read.
    WatchEvent after =
        read(
            operators,
            "{\"object\":{\"kind\":\"Widget\",\"apiVersion\":\"example.io/v1\",\"spec\":{}},"
                + "\"type\":\"DELETED\",\"more\":1}");
    assertThat(after.getType()).isEqualTo("DELETED");
    assertThat(after.getAdditionalProperties()).containsEntry("more", 1);
    assertThat(reader.streamed()).isEqualTo(before);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"apiVersion\":\"v1\",\"kind\":null,\"metadata\":{\"name\":\"a\"}}",
        "{\"apiVersion\":\"v1\",\"kind\":5,\"metadata\":{\"name\":\"a\"}}",
        "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}",
        "{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\"}}",
        "[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}]",
        "\"text\"",
      })
  void objectsWithoutUsableTypeFieldsAreReadAsFabric8ReadsThem(String object) {
    long before = reader.streamed();
    sameAsFabric8s("{\"type\":\"ADDED\",\"object\":" + object + ",\"type\":\"MODIFIED\"}");
    assertThat(reader.streamed()).isEqualTo(before);
  }

  @Test
  void ofTwoEventFieldsOfOneNameTheLastCountsAsInFabric8sWay() {
    String pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}";
    assertThat(sameAsFabric8s("{\"type\":\"ADDED\",\"object\":" + pod + ",\"object\":null}"))
        .isNull();
    assertThat(read(operators, "{\"type\":\"ADDED\",\"type\":\"DELETED\"}").getType())
        .isEqualTo("DELETED");
  }

  @Test
  void aSessionWithFieldsTheModelDoesNotKnowIsReadInOnePassWithTheSameProblems() {
    String event =
        "{\"type\":\"MODIFIED\",\"object\":{\"apiVersion\":\"nbsecrets.io/v1alpha1\","
            + "\"kind\":\"NotebookSession\",\"metadata\":{\"name\":\"lab\",\"namespace\":\"alice\"},"
            + "\"spec\":{\"user\":\"alice\",\"image\":\"jupyter\",\"newField\":{\"x\":1},"
            + "\"secrets\":{\"mountPath\":[1,2]}},\"status\":{\"observedGeneration\":\"soon\"}}}";
    long before = reader.streamed();
    NotebookSession session = (NotebookSession) sameAsFabric8s(event);
    assertThat(reader.streamed()).isEqualTo(before + 1);
    assertThat(session.getSpec().getUser()).isEqualTo("alice");
    NotebookSession theirs = (NotebookSession) read(fabric8s, event).getObject();
    assertThat(session.getSpec().toString()).isEqualTo(theirs.getSpec().toString());
    assertThat(String.valueOf(session.getStatus())).isEqualTo(String.valueOf(theirs.getStatus()));
  }

  @Test
  void aKindUnderAnotherApiVersionKeepsTheEventsApiVersion() {
    // A class registered under a version that is not its own: the object says which it is.
    operators.registerKubernetesResource("example.io/v2", "Pod", Pod.class);
    fabric8s.registerKubernetesResource("example.io/v2", "Pod", Pod.class);
    Object object =
        sameAsFabric8s(
            "{\"type\":\"ADDED\",\"object\":{\"apiVersion\":\"example.io/v2\",\"kind\":\"Pod\","
                + "\"metadata\":{\"name\":\"p\"}}}");
    assertThat(((Pod) object).getApiVersion()).isEqualTo("example.io/v2");
  }

  @Test
  void errorsBookmarksAndEmptyEvents() {
    Object status =
        sameAsFabric8s(
            "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                + "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource"
                + " version\",\"reason\":\"Expired\",\"code\":410}}");
    assertThat(status).isInstanceOf(Status.class);
    assertThat(((Status) status).getCode()).isEqualTo(410);
    Object bookmark =
        sameAsFabric8s(
            "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\","
                + "\"metadata\":{\"resourceVersion\":\"12345\",\"annotations\":"
                + "{\"k8s.io/initial-events-end\":\"true\"}}}}");
    assertThat(((Pod) bookmark).getMetadata().getResourceVersion()).isEqualTo("12345");
    assertThat(sameAsFabric8s("{\"type\":\"DELETED\",\"object\":null}")).isNull();
    assertThat(sameAsFabric8s("{\"type\":\"DELETED\"}")).isNull();
    assertThat(sameAsFabric8s("{}")).isNull();
    // An object with no kind: both ways read it as they can (Fabric8's own way decides).
    sameAsFabric8s("{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"x\"}}}");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[]",
        "{\"type\":\"ADDED\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\"",
        "{\"type\":\"ADDED\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
            + "\"metadata\":{\"name\":\"s3cr3t\",\"labels\":[\"s3cr3t\"]}}}",
      })
  void brokenEventsFailAsFabric8sDo(String event) {
    assertThatThrownBy(() -> read(fabric8s, event)).isInstanceOf(KubernetesClientException.class);
    assertThatThrownBy(() -> read(operators, event))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(String.valueOf(e.getMessage())).doesNotContain("s3cr3t"));
  }
}

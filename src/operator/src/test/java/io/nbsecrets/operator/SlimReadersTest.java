package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetList;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.nbsecrets.testing.ApiObjects;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The operator's client reads a StatefulSet or a pod into exactly what {@link Workload#slim} and
 * {@link SessionPods#slim} make of the whole object read the model's way: objects a real
 * kube-apiserver wrote, as answers, watch events and list items; their fields in any order; every
 * part absent, null or unknown; and parts of the wrong shape fail as the model's reader fails.
 */
class SlimReadersTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesSerialization operators = OperatorSerialization.create();

  /** The model's way, with the operator's mapper otherwise (no managed fields). */
  private final KubernetesSerialization whole =
      new KubernetesSerialization(OperatorSerialization.mapper(), true);

  /** What the operator keeps of an object read whole. */
  private static HasMetadata kept(HasMetadata object) {
    if (object instanceof StatefulSet sts) {
      return Workload.slim(sts);
    }
    if (object instanceof Pod pod) {
      return SessionPods.slim(pod);
    }
    throw new IllegalArgumentException(object.getKind());
  }

  /** Reads {@code json} as {@code type} both ways; they must agree field for field. */
  private <T extends HasMetadata> T sameAsSlimOfWhole(String json, Class<T> type) {
    T ours = operators.unmarshal(json, type);
    HasMetadata theirs = kept(whole.unmarshal(json, type));
    assertThat(ours).isInstanceOf(type);
    assertThat(operators.asJson(ours)).isEqualTo(operators.asJson(theirs));
    assertThat(ours).usingRecursiveComparison().isEqualTo(theirs);
    return ours;
  }

  static List<Object[]> apiServerObjects() {
    return List.of(
        new Object[] {ApiObjects.STATEFUL_SET, StatefulSet.class, StatefulSetList.class},
        new Object[] {ApiObjects.POD, Pod.class, PodList.class});
  }

  @ParameterizedTest
  @MethodSource("apiServerObjects")
  void objectsTheApiServerWroteAreReadAsSlimMakesThemOfWholeOnes(
      String name, Class<? extends HasMetadata> type, Class<?> listType) {
    String json = ApiObjects.json(name).strip();
    HasMetadata object = sameAsSlimOfWhole(json, type);
    assertThat(object.getMetadata().getName()).isNotBlank();
    assertThat(object.getMetadata().getManagedFields()).isNullOrEmpty();
    // As a watch event's object, and as a list's items.
    WatchEvent event =
        operators.unmarshal("{\"type\":\"MODIFIED\",\"object\":" + json + "}", WatchEvent.class);
    assertThat(event.getObject()).usingRecursiveComparison().isEqualTo(object);
    String list =
        "{\"apiVersion\":\""
            + object.getApiVersion()
            + "\",\"kind\":\""
            + object.getKind()
            + "List\",\"metadata\":{\"resourceVersion\":\"7\"},\"items\":["
            + json
            + ","
            + json
            + "]}";
    KubernetesResourceList<?> items =
        (KubernetesResourceList<?>) operators.unmarshal(list, listType);
    assertThat(items.getItems())
        .hasSize(2)
        .allSatisfy(item -> assertThat(item).usingRecursiveComparison().isEqualTo(object));
  }

  @Test
  void whatIsKeptOfTheApiServersStatefulSetIsWhatAReconcileReads() {
    StatefulSet sts =
        sameAsSlimOfWhole(ApiObjects.json(ApiObjects.STATEFUL_SET), StatefulSet.class);
    assertThat(sts.getApiVersion()).isEqualTo("apps/v1");
    assertThat(sts.getKind()).isEqualTo("StatefulSet");
    assertThat(Workload.mountedSecret(sts)).isNotBlank();
    assertThat(sts.getSpec().getTemplate().getSpec().getContainers()).isEmpty();
    assertThat(sts.getSpec().getTemplate().getSpec().getVolumes()).hasSize(1);
    assertThat(SessionStatusAggregator.podReady(sts)).isTrue();
    assertThat(Workload.desiredHash(sts)).isNotBlank();
  }

  @Test
  void whatIsKeptOfTheApiServersPodIsItsMetadataAndInitStatus() {
    Pod pod = sameAsSlimOfWhole(ApiObjects.json(ApiObjects.POD), Pod.class);
    assertThat(pod.getApiVersion()).isEqualTo("v1");
    assertThat(pod.getKind()).isEqualTo("Pod");
    assertThat(pod.getSpec()).isNull();
    assertThat(pod.getStatus().getInitContainerStatuses())
        .singleElement()
        .satisfies(s -> assertThat(s.getName()).isEqualTo(Workload.INIT_CONTAINER));
    assertThat(pod.getStatus().getConditions()).isEmpty();
    assertThat(SessionPods.session(pod)).hasSize(1);
  }

  static List<Object[]> shuffled() {
    List<Object[]> cases = new ArrayList<>();
    IntStream.range(0, 12)
        .forEach(
            seed -> {
              cases.add(new Object[] {ApiObjects.STATEFUL_SET, StatefulSet.class, seed});
              cases.add(new Object[] {ApiObjects.POD, Pod.class, seed});
            });
    return cases;
  }

  /** The API server's objects with the fields of every object in them in another order. */
  @ParameterizedTest
  @MethodSource("shuffled")
  void fieldsInAnyOrder(String name, Class<? extends HasMetadata> type, int seed) throws Exception {
    JsonNode tree = JSON.readTree(ApiObjects.json(name));
    String json = JSON.writeValueAsString(shuffle(tree, new Random(seed)));
    sameAsSlimOfWhole(json, type);
    // Read after its type fields as a watch event's object, whichever come first.
    WatchEvent event =
        operators.unmarshal("{\"type\":\"ADDED\",\"object\":" + json + "}", WatchEvent.class);
    assertThat(event.getObject())
        .usingRecursiveComparison()
        .isEqualTo(operators.unmarshal(json, type));
  }

  private static JsonNode shuffle(JsonNode node, Random random) {
    if (node instanceof ObjectNode object) {
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(object.properties());
      Collections.shuffle(fields, random);
      ObjectNode shuffled = JSON.createObjectNode();
      fields.forEach(f -> shuffled.set(f.getKey(), shuffle(f.getValue(), random)));
      return shuffled;
    }
    if (node instanceof ArrayNode array) {
      ArrayNode copy = JSON.createArrayNode();
      array.forEach(e -> copy.add(shuffle(e, random)));
      return copy;
    }
    return node;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\"}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":null,\"spec\":null,"
            + "\"status\":null}",
        "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"template\":null}}",
        "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"template\":{\"spec\":null}}}",
        "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"template\":{\"spec\":{\"volumes\":null}}}}",
        "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"template\":{\"spec\":{\"volumes\":[]}}}}",
        // several volumes, two of the sealed name, a null one, unknown fields at every level
        "{\"future\":[{\"a\":[1,{\"b\":null}]}],\"metadata\":{\"name\":\"a\",\"annotations\":"
            + "{\"x\":\"y\"},\"more\":{\"z\":1}},\"spec\":{\"replicas\":1,\"podManagementPolicy\":"
            + "\"Parallel\",\"serviceName\":\"a\",\"template\":{\"metadata\":{\"labels\":{\"l\":"
            + "\"v\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}],\"volumes\":["
            + "{\"name\":\"other\",\"emptyDir\":{}},null,{\"name\":\"nbsecrets-sealed\",\"secret\":"
            + "{\"secretName\":\"a-secrets-1\"}},{\"secret\":{\"secretName\":\"x\"},\"name\":"
            + "\"nbsecrets-sealed\",\"unknown\":true}],\"unknown\":[1,2]},\"unknown\":\"u\"},"
            + "\"unknown\":{}},\"status\":{\"readyReplicas\":1,\"unknown\":[]}}",
        // a template's fields before the policy; a volume with no name
        "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"emptyDir\":{}}]}},"
            + "\"podManagementPolicy\":\"OrderedReady\"},\"kind\":\"StatefulSet\","
            + "\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"b\"}}",
      })
  void statefulSetsOfEveryShape(String json) {
    sameAsSlimOfWhole(json, StatefulSet.class);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":null,\"status\":null}",
        "{\"metadata\":{\"name\":\"a-0\"},\"status\":{\"initContainerStatuses\":null}}",
        "{\"metadata\":{\"name\":\"a-0\"},\"status\":{\"phase\":\"Pending\","
            + "\"initContainerStatuses\":[]}}",
        // the init step failed, beside another init container and a native sidecar
        "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}],"
            + "\"initContainerStatuses\":[{\"name\":\"other\",\"ready\":true},null,{\"name\":"
            + "\"nbsecrets-init\",\"state\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\","
            + "\"message\":\"DecryptFailed: secret KEY\"}},\"unknown\":{\"a\":1}},{\"name\":"
            + "\"nbsecrets-refresh\",\"started\":true}],\"phase\":\"Pending\"},\"spec\":{"
            + "\"initContainers\":[{\"name\":\"nbsecrets-init\"}]},\"metadata\":{\"name\":\"a-0\","
            + "\"labels\":{\"nbsecrets.io/session\":\"a\"}},\"kind\":\"Pod\",\"apiVersion\":\"v1\"}",
      })
  void podsOfEveryShape(String json) {
    Pod pod = sameAsSlimOfWhole(json, Pod.class);
    // The init step's failure, the one thing read of a pod's status, is seen where there is one.
    assertThat(PodInitFailures.of(pod).isPresent()).isEqualTo(json.contains("\"exitCode\":1"));
  }

  @Test
  void aKindUnderAnotherApiVersionKeepsIt() {
    operators.registerKubernetesResource("example.io/v2", "Pod", Pod.class);
    HasMetadata pod =
        operators.unmarshal(
            "{\"apiVersion\":\"example.io/v2\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}",
            HasMetadata.class);
    assertThat(pod).isInstanceOf(Pod.class);
    assertThat(pod.getApiVersion()).isEqualTo("example.io/v2");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"spec\":5}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"spec\":{\"template\":[1]}}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"spec\":{\"template\":{\"spec\":"
            + "{\"volumes\":{\"name\":\"s3cr3t\"}}}}}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"spec\":{\"podManagementPolicy\":"
            + "{\"s3cr3t\":1}}}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"status\":{\"readyReplicas\":"
            + "\"s3cr3t\"}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"s3cr3t\",\"labels\":"
            + "[\"s3cr3t\"]}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":[\"s3cr3t\"]}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"initContainerStatuses\":"
            + "{\"name\":\"s3cr3t\"}}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"initContainerStatuses\":[5]}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}",
      })
  void partsOfTheWrongShapeFailAsTheModelsReaderFails(String json) {
    Class<? extends HasMetadata> type = json.contains("\"Pod\"") ? Pod.class : StatefulSet.class;
    assertThatThrownBy(() -> whole.unmarshal(json, type))
        .isInstanceOf(KubernetesClientException.class);
    assertThatThrownBy(() -> operators.unmarshal(json, type))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(String.valueOf(e.getMessage())).doesNotContain("s3cr3t"));
  }
}

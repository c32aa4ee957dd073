package io.nbsecrets.operator;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.nbsecrets.model.NotebookSession;

/**
 * How the operator reads Kubernetes objects: as the client does, except that StatefulSets and pods
 * are read only in the parts the operator keeps of them ({@link SlimReaders}), and that {@code
 * metadata.managedFields} is skipped while the JSON is read. Nothing in the operator reads it, yet
 * every object its informers cache (sessions, StatefulSets, Services, pods) carried it: one entry
 * per field manager, each a tree of the fields that manager set, read into nested maps. A
 * StatefulSet's tree mirrors its whole pod template. Skipped, it is neither built nor kept
 * (controller-runtime's {@code TransformStripManagedFields}, applied before the object is made).
 *
 * <p>Writes are unchanged on the server: an update that carries no {@code managedFields} keeps the
 * object's own (only a list of one empty entry resets them), and the operator's patches never name
 * them.
 */
final class OperatorSerialization {
  private OperatorSerialization() {}

  @JsonIgnoreProperties({"managedFields"})
  private abstract static class WithoutManagedFields {}

  /**
   * A serialization that reads and writes objects without their managed fields, reads a watch
   * event's object in one pass ({@link WatchEventReader}), and StatefulSets and pods as the
   * operator keeps them ({@link SlimReaders}). It knows the session's own kind: the client
   * registers no custom resource class by itself, and an event of a kind it does not know is read
   * as a generic resource and then converted again into the class the informer asked for.
   */
  static KubernetesSerialization create() {
    return create(new WatchEventReader());
  }

  /** {@link #create()} with {@code events} as its watch-event reader. */
  static KubernetesSerialization create(WatchEventReader events) {
    return create(new ObjectMapper(), events);
  }

  /** {@link #create(WatchEventReader)} on {@code mapper}, a new one. */
  static KubernetesSerialization create(ObjectMapper mapper, WatchEventReader events) {
    configure(mapper);
    mapper.registerModule(new SimpleModule().addDeserializer(WatchEvent.class, events));
    mapper.registerModule(SlimReaders.module());
    KubernetesSerialization serialization = new KubernetesSerialization(mapper, true);
    serialization.registerKubernetesResource(NotebookSession.class);
    return serialization;
  }

  /**
   * The mapper of {@link #create()} without its watch-event reader, before the client configures it
   * for Kubernetes' models.
   */
  static ObjectMapper mapper() {
    return configure(new ObjectMapper());
  }

  private static ObjectMapper configure(ObjectMapper mapper) {
    return mapper.addMixIn(ObjectMeta.class, WithoutManagedFields.class);
  }

  /**
   * A client for the operator: {@code client}'s configuration (its server, credentials, User-Agent
   * and retries) with {@link #create()}'s serialization, and its own HTTP client.
   */
  static KubernetesClient of(KubernetesClient client) {
    return new KubernetesClientBuilder()
        .withConfig(client.getConfiguration())
        .withKubernetesSerialization(create())
        .build();
  }
}

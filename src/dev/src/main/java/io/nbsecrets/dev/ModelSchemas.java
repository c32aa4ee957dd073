package io.nbsecrets.dev;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import java.util.TreeMap;

/**
 * OpenAPI v3 schemas of built-in Kubernetes types, derived from the Fabric8 model classes (the JSON
 * property names and types Jackson uses for them): every field of every nested type, no
 * descriptions, no required lists. What {@code kubectl explain} shows and what the server's field
 * validation checks for built-in types. Fabric8 7.5 models Kubernetes 1.33/1.34; a field added by a
 * later Kubernetes release is unknown here.
 */
final class ModelSchemas {
  static final String OBJECT_META = name(ObjectMeta.class);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER = mapper();

  private final Map<String, JsonNode> components = new TreeMap<>();

  private static ObjectMapper mapper() {
    ObjectMapper m = new ObjectMapper();
    new KubernetesSerialization(m, true);
    return m;
  }

  /** The component name of a model class. */
  static String name(Class<?> c) {
    return c.getName().replace('$', '.');
  }

  static String ref(String componentName) {
    return "#/components/schemas/" + componentName;
  }

  /** All component schemas added so far, by name. */
  Map<String, JsonNode> components() {
    return components;
  }

  /** Adds {@code c} (and every type it uses) to the components; returns its component name. */
  String add(Class<?> c) {
    schemaOf(MAPPER.constructType(c));
    return name(c);
  }

  private JsonNode schemaOf(JavaType t) {
    Class<?> raw = t.getRawClass();
    if (t.isArrayType() && raw == byte[].class) {
      return NODES.objectNode().put("type", "string").put("format", "byte");
    }
    if (CharSequence.class.isAssignableFrom(raw) || raw == Character.class || raw == char.class) {
      return NODES.objectNode().put("type", "string");
    }
    if (raw == Integer.class || raw == int.class || raw == Short.class || raw == short.class) {
      return NODES.objectNode().put("type", "integer").put("format", "int32");
    }
    if (raw == Long.class || raw == long.class || raw == BigInteger.class) {
      return NODES.objectNode().put("type", "integer").put("format", "int64");
    }
    if (raw == Double.class
        || raw == double.class
        || raw == Float.class
        || raw == float.class
        || raw == BigDecimal.class) {
      return NODES.objectNode().put("type", "number").put("format", "double");
    }
    if (raw == Boolean.class || raw == boolean.class) {
      return NODES.objectNode().put("type", "boolean");
    }
    if (raw.isEnum()) {
      return NODES.objectNode().put("type", "string");
    }
    if (t.isContainerType() && (t.isCollectionLikeType() || t.isArrayType())) {
      ObjectNode s = NODES.objectNode().put("type", "array");
      s.set("items", schemaOf(t.getContentType()));
      return s;
    }
    if (t.isMapLikeType()) {
      ObjectNode s = NODES.objectNode().put("type", "object");
      s.set("additionalProperties", schemaOf(t.getContentType()));
      return s;
    }
    if (raw == IntOrString.class) {
      ObjectNode s = NODES.objectNode().put("x-kubernetes-int-or-string", true);
      s.putArray("anyOf")
          .add(NODES.objectNode().put("type", "integer"))
          .add(NODES.objectNode().put("type", "string"));
      return s;
    }
    if (raw == Quantity.class) {
      ObjectNode s = NODES.objectNode();
      s.putArray("oneOf")
          .add(NODES.objectNode().put("type", "string"))
          .add(NODES.objectNode().put("type", "number"));
      return s;
    }
    if (raw == MicroTime.class) {
      return NODES.objectNode().put("type", "string").put("format", "date-time");
    }
    if (!isModel(raw)) {
      return anything();
    }
    String name = name(raw);
    if (!components.containsKey(name)) {
      components.put(name, anything()); // placeholder: recursive types
      components.put(name, objectSchema(t));
    }
    return NODES.objectNode().put("$ref", ref(name));
  }

  private JsonNode objectSchema(JavaType t) {
    BeanDescription d = MAPPER.getSerializationConfig().introspect(t);
    ObjectNode s = NODES.objectNode().put("type", "object");
    ObjectNode props = s.putObject("properties");
    for (BeanPropertyDefinition p : d.findProperties()) {
      if (!p.couldSerialize() || p.getPrimaryType() == null) {
        continue;
      }
      props.set(p.getName(), schemaOf(p.getPrimaryType()));
    }
    return s;
  }

  private static boolean isModel(Class<?> c) {
    if (!c.getName().startsWith("io.fabric8.kubernetes.api.model")
        || c.isInterface()
        || Modifier.isAbstract(c.getModifiers())) {
      return false;
    }
    JsonDeserialize custom = c.getAnnotation(JsonDeserialize.class);
    return custom == null
        || custom.using() == com.fasterxml.jackson.databind.JsonDeserializer.None.class;
  }

  private static ObjectNode anything() {
    return NODES.objectNode().put("x-kubernetes-preserve-unknown-fields", true);
  }
}

package io.nbsecrets.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.Arrays;
import java.util.List;

/**
 * A plain environment variable of the session container. Never a secret: those go via spec.secrets.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class EnvEntry extends ModelValue {
  @Required
  @Size(min = 1, max = 256)
  private final String name;

  private final String value;

  @JsonCreator
  public EnvEntry(@JsonProperty("name") String name, @JsonProperty("value") String value) {
    this.name = name;
    this.value = value;
  }

  public String getName() {
    return name;
  }

  public String getValue() {
    return value;
  }

  @Override
  List<Object> values() {
    return Arrays.asList(name, value);
  }
}

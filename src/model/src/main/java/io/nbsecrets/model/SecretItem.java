package io.nbsecrets.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Arrays;
import java.util.List;

/** One selected secret. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class SecretItem extends ModelValue {
  @Required
  @JsonPropertyDescription("Name of the user's secret.")
  @Pattern(SecretNames.PATTERN)
  @ValidationRule(value = SecretNames.CEL_RULE, message = "name must not be . or begin with ..")
  private final String name;

  @JsonPropertyDescription("File name under the mount path; the secret's name when unset.")
  @Pattern(SecretNames.PATTERN)
  @ValidationRule(value = SecretNames.CEL_RULE, message = "fileName must not be . or begin with ..")
  private final String fileName;

  @JsonCreator
  public SecretItem(@JsonProperty("name") String name, @JsonProperty("fileName") String fileName) {
    this.name = name;
    this.fileName = fileName;
  }

  public String getName() {
    return name;
  }

  public String getFileName() {
    return fileName;
  }

  @JsonIgnore
  public String effectiveFileName() {
    return fileName == null ? name : fileName;
  }

  @Override
  List<Object> values() {
    return Arrays.asList(name, fileName);
  }

  @Override
  public String toString() {
    return "SecretItem{name=" + name + ", fileName=" + fileName + "}";
  }
}

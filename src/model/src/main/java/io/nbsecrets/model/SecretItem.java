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

  @JsonPropertyDescription(
      "Also export the value as this environment variable of the session's process (POSIX name:"
          + " letters, digits and '_', not starting with a digit). Needs spec.command: the"
          + " command is started by a launcher that loads the variables. Environment values"
          + " change only when the session restarts.")
  @Pattern(EnvNames.PATTERN)
  @ValidationRule(value = EnvNames.CEL_RULE, message = "env must not begin with NBSECRETS_")
  private final String env;

  public SecretItem(String name, String fileName) {
    this(name, fileName, null);
  }

  @JsonCreator
  public SecretItem(
      @JsonProperty("name") String name,
      @JsonProperty("fileName") String fileName,
      @JsonProperty("env") String env) {
    this.name = name;
    this.fileName = fileName;
    this.env = env;
  }

  public String getName() {
    return name;
  }

  public String getFileName() {
    return fileName;
  }

  public String getEnv() {
    return env;
  }

  @JsonIgnore
  public String effectiveFileName() {
    return fileName == null ? name : fileName;
  }

  @Override
  List<Object> values() {
    return Arrays.asList(name, fileName, env);
  }

  @Override
  public String toString() {
    return "SecretItem{name=" + name + ", fileName=" + fileName + ", env=" + env + "}";
  }
}

package io.nbsecrets.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Arrays;
import java.util.List;

/** A secret in the session's snapshot: its name and the version that was taken. Never a value. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class MountedSecret extends ModelValue {
  private final String name;
  private final Long version;

  @JsonPropertyDescription(
      "True when the stored secret was replaced or deleted after the snapshot was taken; refresh"
          + " the session to take the current values.")
  private final Boolean stale;

  @JsonPropertyDescription(
      "The environment variable the secret is also exported as (its value is taken when the"
          + " session starts).")
  private final String env;

  public MountedSecret(String name, Long version, Boolean stale) {
    this(name, version, stale, null);
  }

  @JsonCreator
  public MountedSecret(
      @JsonProperty("name") String name,
      @JsonProperty("version") Long version,
      @JsonProperty("stale") Boolean stale,
      @JsonProperty("env") String env) {
    this.name = name;
    this.version = version;
    this.stale = stale;
    this.env = env;
  }

  public String getEnv() {
    return env;
  }

  public String getName() {
    return name;
  }

  public Long getVersion() {
    return version;
  }

  public Boolean getStale() {
    return stale;
  }

  @Override
  List<Object> values() {
    return Arrays.asList(name, version, stale, env);
  }
}

package io.nbsecrets.api;

import java.util.Objects;

/**
 * Settings of the secrets API.
 *
 * @param maxValueBytes largest accepted value, measured on the decoded bytes (UTF-8 for text). At
 *     least {@link #MIN_VALUE_BYTES} (RenkuLab's 5000 characters is the floor), at most {@link
 *     #MAX_VALUE_BYTES}.
 * @param maxSecretsPerUser most secrets one user may hold
 * @param podTokenAudience the audience an init container's projected service-account token must
 *     carry
 * @param usernamePrefixToStrip a prefix the API server puts in front of user names (for example
 *     {@code oidc:}); stripped to get the user. When set, a user without it is refused (otherwise
 *     {@code alice} from another authenticator and {@code oidc:alice} would share secrets). Empty:
 *     the TokenReview user name is the user.
 * @param allowServiceAccountUsers whether service-account tokens may use the user endpoints (as the
 *     user {@code system:serviceaccount:<ns>:<name>})
 */
public record ApiConfig(
    int maxValueBytes,
    int maxSecretsPerUser,
    String podTokenAudience,
    String usernamePrefixToStrip,
    boolean allowServiceAccountUsers) {

  public static final int DEFAULT_MAX_VALUE_BYTES = 128 * 1024;
  public static final int DEFAULT_MAX_SECRETS_PER_USER = 1000;
  public static final String DEFAULT_POD_TOKEN_AUDIENCE = "nbsecrets";
  public static final int MIN_VALUE_BYTES = 5000;
  public static final int MAX_VALUE_BYTES = 16 * 1024 * 1024;

  public ApiConfig {
    if (maxValueBytes < MIN_VALUE_BYTES || maxValueBytes > MAX_VALUE_BYTES) {
      throw new IllegalArgumentException(
          "maxValueBytes must be between " + MIN_VALUE_BYTES + " and " + MAX_VALUE_BYTES);
    }
    if (maxSecretsPerUser < 1) {
      throw new IllegalArgumentException("maxSecretsPerUser must be at least 1");
    }
    Objects.requireNonNull(podTokenAudience, "podTokenAudience");
    if (podTokenAudience.isBlank()) {
      throw new IllegalArgumentException("podTokenAudience must not be blank");
    }
    usernamePrefixToStrip = usernamePrefixToStrip == null ? "" : usernamePrefixToStrip;
  }

  /** 128 KiB values, 1000 secrets per user, audience {@code nbsecrets}, no prefix, no SA users. */
  public static ApiConfig defaults() {
    return new ApiConfig(
        DEFAULT_MAX_VALUE_BYTES,
        DEFAULT_MAX_SECRETS_PER_USER,
        DEFAULT_POD_TOKEN_AUDIENCE,
        "",
        false);
  }

  /**
   * The largest request body read: room for a value of the maximum size as JSON may carry it, plus
   * framing. JSON escapes can triple a value (Python's {@code json.dumps} writes the 2 bytes of
   * {@code é} as the 6 of {@code \u00e9}, an emoji's 4 as 12); base64 adds a third. A larger body
   * is refused (413) without being read whole.
   */
  public int maxBodyBytes() {
    return maxBodyBytesFor(maxValueBytes);
  }

  static int maxBodyBytesFor(int maxValueBytes) {
    return maxValueBytes * 3 + 4096;
  }

  public ApiConfig withMaxValueBytes(int value) {
    return withSizes(value, maxSecretsPerUser);
  }

  public ApiConfig withMaxSecretsPerUser(int value) {
    return withSizes(maxValueBytes, value);
  }

  public ApiConfig withPodTokenAudience(String value) {
    return withCallers(value, usernamePrefixToStrip, allowServiceAccountUsers);
  }

  public ApiConfig withUsernamePrefixToStrip(String value) {
    return withCallers(podTokenAudience, value, allowServiceAccountUsers);
  }

  public ApiConfig withAllowServiceAccountUsers(boolean value) {
    return withCallers(podTokenAudience, usernamePrefixToStrip, value);
  }

  /** A copy with these size limits; the caller policies stay. */
  private ApiConfig withSizes(int valueBytes, int secretsPerUser) {
    return new ApiConfig(
        valueBytes,
        secretsPerUser,
        podTokenAudience,
        usernamePrefixToStrip,
        allowServiceAccountUsers);
  }

  /** A copy with these caller policies; the size limits stay. */
  private ApiConfig withCallers(String audience, String prefixToStrip, boolean serviceAccounts) {
    return new ApiConfig(
        maxValueBytes, maxSecretsPerUser, audience, prefixToStrip, serviceAccounts);
  }
}

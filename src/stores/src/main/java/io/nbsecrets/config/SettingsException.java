package io.nbsecrets.config;

/** A bad configuration: the message names the setting and what is wrong (never a secret value). */
public class SettingsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SettingsException(String message) {
    super(message);
  }
}

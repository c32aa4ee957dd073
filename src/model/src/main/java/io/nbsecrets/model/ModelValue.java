package io.nbsecrets.model;

import java.util.List;

/**
 * An immutable value of the custom resource (an item of a list in spec or status): equal to another
 * of its class with equal {@link #values()}. Declares no property, so the CRD does not change.
 */
abstract class ModelValue {

  /** The fields that make up this value, in a fixed order; nulls allowed. */
  abstract List<Object> values();

  @Override
  public final boolean equals(Object o) {
    return o != null && o.getClass() == getClass() && values().equals(((ModelValue) o).values());
  }

  /** The same as {@link java.util.Objects#hash} of the values. */
  @Override
  public final int hashCode() {
    return values().hashCode();
  }
}

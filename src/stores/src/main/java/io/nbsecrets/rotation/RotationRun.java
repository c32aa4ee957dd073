package io.nbsecrets.rotation;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * How one rotation run goes and is reported: its options, the listener told of its steps and
 * progress, and the registry of its metrics.
 */
record RotationRun(RotationOptions options, RotationListener listener, MeterRegistry registry) {}

package io.nbsecrets.rotation;

import java.util.Set;

/**
 * What a rotation did.
 *
 * @param targetKeyId the key now current
 * @param droppedKeyIds old keys removed from the Secret (empty if kept)
 * @param resumed whether an interrupted rotation was resumed
 * @param passes the re-wrap passes run
 * @param counts the first pass's outcomes (later passes only verify and catch stragglers)
 * @param complete whether a clean pass was reached (else the old keys are kept; run again)
 * @param alreadyDone whether nothing was done: the run id's rotation had completed before
 */
public record RotationResult(
    String targetKeyId,
    Set<String> droppedKeyIds,
    boolean resumed,
    int passes,
    RewrapCounts counts,
    boolean complete,
    boolean alreadyDone) {}

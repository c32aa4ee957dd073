-- Argo CD health check for nbsecrets.io/NotebookSession.
--   Healthy:     Ready=True, observed at the current generation (the status; and the Ready
--                condition, when it carries its own observedGeneration).
--   Degraded:    Ready=False at the current generation for a reason that needs someone to act
--                (a missing secret, a user mismatch, an unreachable store, ...).
--   Progressing: everything else: no status yet, the operator has not observed the current
--                generation, Ready=Unknown, or Ready=False while the pod is still starting.
local hs = {}

-- Ready=False reasons that only mean "still starting": the operator gets there on its own.
local progressReasons = {
  PodNotReady = true,
  WorkloadNotCreated = true,
}

local function isCurrent(observed, generation)
  if generation == nil then
    return true
  end
  return observed ~= nil and observed == generation
end

local generation = nil
if obj.metadata ~= nil then
  generation = obj.metadata.generation
end

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end

if not isCurrent(obj.status.observedGeneration, generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local ready = nil
if obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Ready" then
      ready = condition
    end
  end
end

if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  return hs
end

-- A condition without its own observedGeneration (written by an older operator, or by hand) is as
-- current as the status, which was checked above.
if ready.observedGeneration ~= nil and not isCurrent(ready.observedGeneration, generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local message = ready.message
if message == nil or message == "" then
  message = ready.reason or ""
end

if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = message
  return hs
end

if ready.status == "False" and not progressReasons[ready.reason] then
  hs.status = "Degraded"
  hs.message = message
  return hs
end

hs.status = "Progressing"
hs.message = message
return hs

@reliability @ollama
Feature: Clients that leave, loads and hung runners cost only themselves
  As an operator of a busy local LLM server
  I want the gateway to forget a client that has gone, share a load among everyone waiting for it, and replace a
  runner that stops answering, as Ollama's scheduler does
  So that one impatient user, one slow start or one stuck engine never stalls everyone else

  A client "leaves" when it closes its connection: a Ctrl-C, an editor cancelling a completion, a proxy giving up.
  A runner is the process that holds one loaded model; the gateway checks that an idle runner still answers before
  it gives it a new request, and counts a model that is still loading against OLLAMA_MAX_LOADED_MODELS. Where two
  models are needed, the second is the model under test's twin: the same weights in a file of its own, created
  through the API, so it gets a runner of its own.

  Background:
    Given the model under test has given its answer to a reference prompt

  Rule: A client that leaves before its first token gives up its place and costs the model nothing

    # The same storm runs in make test as tests/gateway/test_runner_faults.py, on llama.cpp.
    @needs.own_gateway @slow
    Scenario: Fifty clients that leave before their first token leave no queue and no work behind
      Given a long streamed answer keeps the model busy, after the time to a first token was measured once it ended
      When 50 streaming clients ask the busy model and leave before their first token
      Then within a second of the last one leaving no request waits in the queue
      And the model evaluated no prompt for the clients that left
      And once the long answer ends the next first token comes as fast as without the storm, give or take 10% and half a second

  Rule: A load is shared by every client waiting for it

    Scenario: A client that leaves while its model loads does not fail the client waiting behind it
      Given the model under test is not loaded
      When one client asks for the model and leaves while it loads, as a second client asks for it
      Then the second client gets its answer

  Rule: A completion keeps its model until it has ended

    Scenario: Completions that unload their model as they end still return their context, three times over
      When a client asks for a completion that unloads the model when it ends, three times in a row
      Then every answer ends normally with a context to continue from

  Rule: Models that load at once stay within the limit on loaded models

    @needs.local_stack @slow
    Scenario: Two models asked for at once with room for one are both answered, one runner at a time
      Given a gateway of its own keeps one model loaded at a time and holds the model under test and its twin
      When a client asks each of the two models at the same moment
      Then both clients get their answers
      And the gateway never ran two runners at once

  Rule: A runner that stops answering is replaced, and costs the other models nothing

    @needs.own_gateway
    Scenario: A request to a model whose runner stopped answering is answered by a new runner
      Given the model's runner has stopped answering
      When a client asks for a completion
      Then the response status is 200
      And the answer came within the gateway's health-check time plus a load
      And the runner that stopped answering is gone

    @needs.local_stack @slow
    Scenario: While one model's silent runner is replaced, another model answers every request in time from its own runner
      Given the cpu-2core profile's hung-runner bounds: a health check of 5 s, a replacement within 90 s, each answer of the other model within 2× its time before plus 2 s, at least 3 of them meanwhile where that many fit
      And a gateway of its own keeps two models loaded: the model under test and its twin
      And the twin's runner has stopped answering, once the model under test's answer time was measured
      When a client asks the twin once while another asks the model under test again and again
      Then the twin answered from a new runner within the profile's replacement time
      And the model under test answered every request within the profile's bound, from the runner it had before

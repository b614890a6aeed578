@reliability @ollama
Feature: Clients that leave, loads and hung runners cost only themselves
  As an operator of a busy local LLM server
  I want the gateway to forget a client that has gone, share a load among everyone waiting for it, and replace a
  runner that stops answering, as Ollama's scheduler does
  So that one impatient user, one slow start or one stuck engine never stalls everyone else

  A client "leaves" when it closes its connection: a Ctrl-C, an editor cancelling a completion, a proxy giving up.
  A runner is the process that holds one loaded model; the gateway checks that an idle runner still answers before
  it gives it a new request.

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

  Rule: A runner that stops answering is replaced

    @needs.own_gateway
    Scenario: A request to a model whose runner stopped answering is answered by a new runner
      Given the model's runner has stopped answering
      When a client asks for a completion
      Then the response status is 200
      And the answer came within the gateway's health-check time plus a load
      And the runner that stopped answering is gone

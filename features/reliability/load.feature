@reliability @ollama
Feature: Sustained load is held, and a burst past the queue is refused at once
  As an operator serving several developers from one machine
  I want the stack to hold a steady load without errors, leaks or slowing down, and to refuse a burst cleanly
  So that a busy afternoon looks like a quiet morning, and clients know when to retry

  A soak keeps clients asking without pause at the profile's concurrency for the profile's duration: no
  request fails, the gateway's memory grows less than the profile's bound, and the latency percentiles of the
  last fifth of the run stay within the profile's ratio of the first fifth's. Past OLLAMA_MAX_QUEUE, requests
  get Ollama's 503 at once, and the stack serves the next request as soon as the burst ends. The bounds are in
  profiles/reliability/cpu-2core.yaml; -D soak=long runs the long soak.

  Rule: The stack holds the profile's load

    @slow @critical
    Scenario: Clients that keep the model busy for the whole soak get every answer, and memory and latency stay within the profile's bounds
      Given the cpu-2core profile's soak: 2 clients for 75 s, 8 tokens an answer, memory growth under 64 MiB, the last fifth's median latency at most 2× the first fifth's and its 90th percentile at most 3×
      When clients keep the model busy at the profile's concurrency for the profile's duration
      Then no request of the soak failed
      And the gateway's memory grew less than the profile's bound for the soak
      And the latency percentiles of the last fifth stay within the profile's ratios of the first fifth's

  Rule: Past OLLAMA_MAX_QUEUE, requests are refused at once and the stack recovers

    @needs.local_stack
    Scenario: Requests past the queue's bound get Ollama's 503 at once, and the stack answers the next request
      Given the cpu-2core profile's queue: at most 2 requests waiting, a burst of 10 at once
      And a gateway started with the profile's queue bound
      When the profile's burst of requests is sent at once
      Then the requests past the queue got 503 "server busy, please try again.  maximum pending requests exceeded"
      And the others were answered
      And a request right after the burst is answered

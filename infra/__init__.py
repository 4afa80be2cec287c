"""The CDK app's side: the stack, its constructs and the checks that run at every synth.

`stack.py` is composition only: one construct per capability in `constructs/`; `plans.py` says which
stacks the context asks for; `stackset.py` is the organization roll-out (a service-managed StackSet that
deploys the spoke, and each region's bucket for its code). `config.py` reads and
validates the CDK context once; `constants.py` holds the values only the infrastructure cares about
(memory, timeouts, handler strings), importing every shared name from `autopilot_reports.constants`
instead of retyping it; `ids.py` keeps the logical ids other tools look up; `nag.py` and `checkov.py`
acknowledge findings with their reasons; `checks.py` runs cfn-lint; `assembly.py` finds the synthesized
templates. Synthesis is offline: nothing here calls AWS or reads credentials. It imports from the Lambda
package only its shared names and settings checks, never handlers, adapters or the domain."""

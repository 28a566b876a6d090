"""The code behind ``wbs deploy``: the functions zip (``package.py``), the built site and
its upload (``publish.py``), the stack's change sets (``stack.py``), the proof-of-work key
(``proof_secret.py``), one IAM policy a desk (``desks.py``), and the steps in order
(``deploy.py``); beside it, the admin's step after a case is shared (``share.py``). The
stack itself is the CloudFormation template ``infra/template.yaml``; the settings are the
``[deployment]`` table of the config file (``wbs.config.deployment``) and its ``[[desks]]``.

Runs on the admin's machine only, from a checkout of the repository; nothing here is packaged
into the functions.
"""

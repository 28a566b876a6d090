"""The admin's deployment to AWS: the CloudFormation template (``template.yaml``) and the code
behind ``wbs deploy`` (settings, the functions zip, the stack, the site upload).

Runs on the admin's machine only, from a checkout of the repository; nothing here is packaged
into the functions.
"""

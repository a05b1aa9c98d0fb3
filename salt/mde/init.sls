# From bare server to onboarded mdatp: prerequisites, Microsoft's repository, the package, the
# onboarding and the managed settings, in that order.
include:
  - .prereqs
  - .repo
  - .install
  - .onboard
  - .config

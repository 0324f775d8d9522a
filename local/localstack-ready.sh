#!/bin/sh
# LocalStack init hook (ready.d): SES sends only from verified identities; verify the courier's from address.
awslocal sesv2 create-email-identity --email-identity "${COURIER_SMTP_FROM_ADDRESS:-no-reply@ory.kratos.sh}" >/dev/null 2>&1 \
  || awslocal ses verify-email-identity --email-address "${COURIER_SMTP_FROM_ADDRESS:-no-reply@ory.kratos.sh}"

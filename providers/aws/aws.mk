# providers/aws/ - the pieces the aws provider is built from (no provider
# table yet): SigV4 request signing, credentials (files, environment, IMDSv2 over libcurl).
UNIKD_SRCS += providers/aws/sigv4.c providers/aws/aws_creds.c providers/aws/aws_imds.c
UNIKD_LIBS += -lcurl

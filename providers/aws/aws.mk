# providers/aws/ - the pieces the aws provider is built from (no provider
# table yet): SigV4 request signing, credentials (files, environment, IMDSv2 over libcurl),
# the EBS direct snapshot upload (ebs*.c).
UNIKD_SRCS += providers/aws/sigv4.c providers/aws/aws_creds.c providers/aws/aws_imds.c \
	providers/aws/ebs_plan.c providers/aws/ebs_state.c providers/aws/ebs_http.c \
	providers/aws/ebs_upload.c providers/aws/ebs_complete.c providers/aws/ebs_config.c
UNIKD_LIBS += -lcurl

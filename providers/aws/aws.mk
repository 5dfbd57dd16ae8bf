# providers/aws/ - the pieces the aws provider is built from (no provider
# table yet): SigV4 request signing.
UNIKD_SRCS += providers/aws/sigv4.c

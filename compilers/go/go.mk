# compilers/go - the "go" compiler: a Go program (golang-go, CGO_ENABLED=0)
# linked with the unik runtime by compilers/common/pack.c, as c does.
UNIKD_SRCS += compilers/go/go.c

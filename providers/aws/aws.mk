# providers/aws/ - the "aws" provider: SigV4 request signing, credentials
# (files, environment, IMDSv2), signed requests with retries over libcurl,
# the EBS direct snapshot upload (ebs*.c), the EC2 Query API (XML replies
# through libxml2), the provider table (aws.c).
UNIKD_SRCS += \
	providers/aws/aws.c \
	providers/aws/aws_creds.c \
	providers/aws/aws_http.c \
	providers/aws/aws_imds.c \
	providers/aws/aws_instance.c \
	providers/aws/aws_nitro.c \
	providers/aws/aws_poll.c \
	providers/aws/aws_userdata.c \
	providers/aws/aws_variant.c \
	providers/aws/ebs_complete.c \
	providers/aws/ebs_config.c \
	providers/aws/ebs_http.c \
	providers/aws/ebs_plan.c \
	providers/aws/ebs_state.c \
	providers/aws/ebs_upload.c \
	providers/aws/ec2.c \
	providers/aws/ec2_xml.c \
	providers/aws/sigv4.c
UNIKD_LIBS += -lcurl -lxml2
XML2_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
$(OUT)/obj/providers/aws/ec2_xml.o: CPPFLAGS += $(XML2_CFLAGS)
build/fuzz/obj/providers/aws/ec2_xml.o: CPPFLAGS += $(XML2_CFLAGS)

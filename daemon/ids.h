/* ids.h - random object ids and instance names. */
#ifndef UNIKD_IDS_H
#define UNIKD_IDS_H

/* 64 lowercase hex characters from getrandom(); caller frees. */
char *ids_new(void);
/* A Docker-like "adjective_noun" name; caller frees. */
char *ids_random_name(void);

#endif

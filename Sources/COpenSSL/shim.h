// OpenSSL's libcrypto, for the SHA-256 digests that check downloaded weights.
#include <openssl/evp.h>

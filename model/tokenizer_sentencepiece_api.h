/* The C interface of the motionfarm_sentencepiece module (tokenizer_sentencepiece_module.cpp),
 * which tokenizer_sentencepiece.cpp loads with dlopen.
 *
 * Why a module: Debian's libsentencepiece bundles protobuf 3.14 and exports its symbols, which
 * clash with the system protobuf 3.21 that LibTorch loads: linked into one program, one of the two
 * binds to the other's functions and the program aborts or crashes at start-up. Loaded with
 * RTLD_LOCAL | RTLD_DEEPBIND, the module and libsentencepiece bind to their own protobuf and stay
 * out of the global symbol scope. Only C types cross this boundary. */
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct MotionfarmSentencePiece MotionfarmSentencePiece;

/* Loads a SentencePiece model; NULL on failure, with the reason in `error` (NUL-terminated,
 * truncated to error_size). */
MotionfarmSentencePiece* motionfarm_spm_open(const char* model_path, char* error,
                                             size_t error_size);
void motionfarm_spm_close(MotionfarmSentencePiece* model);

/* Encodes `length` bytes of UTF-8 text into ids. Writes at most `capacity` ids to `ids` and
 * returns how many the text has (call again with a larger buffer when that exceeds capacity), or
 * -1 on failure with the reason in `error`. */
long motionfarm_spm_encode(const MotionfarmSentencePiece* model, const char* text, size_t length,
                           int* ids, size_t capacity, char* error, size_t error_size);

int motionfarm_spm_piece_size(const MotionfarmSentencePiece* model);
int motionfarm_spm_eos_id(const MotionfarmSentencePiece* model); /* -1 when undefined */
int motionfarm_spm_pad_id(const MotionfarmSentencePiece* model); /* -1 when undefined */

#ifdef __cplusplus
}
#endif

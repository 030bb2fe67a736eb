#include "core/sip/transaction_layer.h"

namespace sipline {
namespace {
TransactionLayer* g_layer = nullptr;
}

TransactionLayer* transactionLayer() { return g_layer; }
void setTransactionLayer(TransactionLayer* layer) { g_layer = layer; }

}  // namespace sipline
